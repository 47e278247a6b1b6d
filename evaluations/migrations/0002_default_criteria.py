"""The default criteria of the comment sheets, as DOMAIN.md reports Guidance 33-HD/BTCTW.

Administrators edit these rows; each campaign copies them when it opens.
"""

from django.db import migrations

NORMAL = [
    (
        "Giữ gìn phẩm chất chính trị, đạo đức, lối sống; nêu gương trước quần chúng nhân dân "
        "nơi cư trú",
        ["Nêu gương tốt", "Nêu gương", "Chưa nêu gương"],
    ),
    (
        "Thực hiện nghĩa vụ công dân; tuyên truyền, vận động gia đình và nhân dân nơi cư trú "
        "chấp hành chủ trương, đường lối của Đảng, chính sách, pháp luật của Nhà nước và quy "
        "định của địa phương; tham gia các phong trào, cuộc vận động ở nơi cư trú",
        ["Gương mẫu đi đầu", "Gương mẫu", "Chưa gương mẫu"],
    ),
    (
        "Tham dự các buổi sinh hoạt định kỳ và các cuộc họp khác do cấp ủy nơi cư trú triệu "
        "tập; tham dự các cuộc họp của khu dân cư",
        ["Tham gia đầy đủ", "Tham gia chưa đầy đủ", "Không tham gia"],
    ),
    (
        "Giữ mối liên hệ thường xuyên với chi ủy, trưởng thôn, tổ trưởng tổ dân phố và ban công "
        "tác Mặt trận; phản ánh tâm tư, nguyện vọng của nhân dân; đóng góp vào công việc của "
        "địa phương",
        ["Thường xuyên, tích cực", "Thường xuyên", "Chưa thường xuyên"],
    ),
    (
        "Vận động nhân dân tham gia xây dựng Đảng, chính quyền và giám sát cán bộ, đảng viên; "
        "xây dựng khối đoàn kết, đời sống văn hóa ở khu dân cư",
        ["Rất tích cực", "Tích cực", "Chưa tích cực"],
    ),
    (
        "Đề nghị của chi bộ nơi cư trú với cấp ủy nơi đảng viên công tác",
        ["Biểu dương", "Không đề nghị", "Xem xét xử lý"],
    ),
]
EXEMPT = [
    NORMAL[0],
    (
        "Thực hiện nghĩa vụ công dân; gia đình tham gia các phong trào, cuộc vận động và đời "
        "sống văn hóa ở nơi cư trú",
        ["Thực hiện tốt", "Thực hiện", "Chưa thực hiện"],
    ),
    (
        "Gia đình chấp hành chủ trương, đường lối của Đảng, chính sách, pháp luật của Nhà nước "
        "và quy định của địa phương; đoàn kết ở khu dân cư",
        ["Thực hiện tốt", "Thực hiện", "Chưa thực hiện"],
    ),
]


def forwards(apps, schema_editor):
    Criterion = apps.get_model("evaluations", "Criterion")
    rows = [("normal", i, text, levels) for i, (text, levels) in enumerate(NORMAL, start=1)]
    rows += [("exempt", i, text, levels) for i, (text, levels) in enumerate(EXEMPT, start=1)]
    for form, position, text, levels in rows:
        Criterion.objects.update_or_create(
            campaign=None,
            form=form,
            position=position,
            defaults={"text": text, "levels": levels},
        )


def backwards(apps, schema_editor):
    apps.get_model("evaluations", "Criterion").objects.filter(campaign=None).delete()


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
