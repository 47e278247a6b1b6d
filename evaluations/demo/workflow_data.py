"""Vietnamese wording of the demo's workflows (evaluations.demo.workflows): agendas, comments.

What a residence cell in Lâm Đồng would write; the comments differ from member to member
except the two formulaic ones, which the near-identical check flags.
"""

PAST_MEETING_AGENDA = (
    "Thông tin tình hình kinh tế - xã hội, quốc phòng - an ninh của địa phương\n"
    "Phổ biến kế hoạch vệ sinh môi trường, phòng chống sốt xuất huyết trong khu dân cư\n"
    "Đảng viên đang công tác phát biểu ý kiến, đăng ký việc làm cụ thể với khu dân cư"
)
NEXT_MEETING_AGENDA = (
    "Thông tin tình hình địa phương và nhiệm vụ thời gian tới\n"
    "Trao đổi về giữ gìn an ninh trật tự, vệ sinh môi trường khu dân cư\n"
    "Ý kiến của đảng viên đang công tác"
)
EXCUSES = (
    "Đi công tác tại Thành phố Hồ Chí Minh, đã báo trước với bí thư chi bộ",
    "Ốm, đang điều trị tại Bệnh viện Đa khoa tỉnh",
)
ANNOUNCED_ABSENCE = "Đi công tác theo kế hoạch của cơ quan, xin phép vắng buổi sinh hoạt này"

CELL_COMMITTEE = ("Nguyễn Thị Hạnh — Phó Bí thư chi bộ", "Trần Minh Khoa — Chi ủy viên")
FRONT_COMMITTEE = (
    "Lê Văn Tâm — Trưởng ban công tác Mặt trận khu dân cư",
    "Phạm Thị Lan — Ủy viên ban công tác Mặt trận",
    "Võ Thị Thu — Chi hội trưởng Chi hội Phụ nữ",
)

# Comments the cell agreed, by sheet position: (level, text); criterion 3 (attendance) takes
# its level from the member's mark at the confirmed meeting. "grade" is what the workplace
# committee gives (Grade.Level value, points) if it grades that member.
COMMENTS = (
    {
        "answers": {
            1: (
                0,
                "Sống giản dị, gần gũi, được bà con trong khu dân cư tin yêu; gia đình nhiều "
                "năm liền đạt danh hiệu Gia đình văn hóa.",
            ),
            2: (
                0,
                "Vận động gia đình và các hộ liền kề hiến đất mở rộng hẻm, đóng góp đầy đủ các "
                "loại quỹ của khu dân cư.",
            ),
            4: (
                0,
                "Thường xuyên trao đổi với tổ trưởng và ban công tác Mặt trận, kịp thời phản ánh "
                "ý kiến của bà con về chiếu sáng và thoát nước.",
            ),
            5: (0, ""),
            6: (0, ""),
        },
        "other": "Đề nghị cấp ủy nơi công tác biểu dương đồng chí.",
        "grade": ("excellent", 93),
    },
    {
        "answers": {
            1: (
                0,
                "Có lối sống lành mạnh, hòa nhã với hàng xóm; chưa phát hiện biểu hiện sai phạm.",
            ),
            2: (1, ""),
            4: (1, ""),
            5: (
                1,
                "Tham gia các hoạt động của khu dân cư khi được mời nhưng còn ít chủ động đề xuất.",
            ),
            6: (1, ""),
        },
        "other": (
            "Đề nghị đồng chí dành thêm thời gian cho hoạt động chung của khu dân cư, nhất là "
            "phong trào giữ gìn vệ sinh môi trường."
        ),
        "grade": ("good", 84),
    },
    {
        "answers": {
            1: (0, ""),
            2: (
                0,
                "Tích cực tham gia ngày Chủ nhật xanh và hiến máu tình nguyện; cùng chi đoàn tổ "
                "chức Tết Trung thu cho thiếu nhi khu dân cư.",
            ),
            4: (
                1,
                "Liên hệ với chi ủy qua nhóm Zalo của khu dân cư, trả lời nhanh khi được phân "
                "công việc.",
            ),
            5: (0, ""),
            6: (1, ""),
        },
        "other": (
            "Gia đình chấp hành tốt quy định về an ninh trật tự, khai báo tạm trú đúng hạn cho "
            "người thuê nhà."
        ),
        "grade": ("good", 80),
    },
    {
        "answers": {
            1: (1, "Giữ gìn phẩm chất, đạo đức; gia đình hòa thuận."),
            2: (1, ""),
            4: (
                2,
                "Ít liên hệ với chi ủy do thường xuyên đi công tác dài ngày; đề nghị chủ động báo "
                "lịch công tác với bí thư chi bộ.",
            ),
            5: (1, ""),
            6: (1, ""),
        },
        "other": (
            "Chi bộ đề nghị cơ quan tạo điều kiện để đồng chí tham gia đủ các buổi sinh hoạt với "
            "chi bộ nơi cư trú."
        ),
        "grade": ("fulfilled", 68),
    },
)
# The formulaic "good" a secretary writes for everyone: two of these get flagged.
FORMULAIC = (
    "Đồng chí luôn giữ gìn phẩm chất chính trị, đạo đức, lối sống, chấp hành tốt chủ trương của "
    "Đảng, chính sách, pháp luật của Nhà nước và quy định của địa phương, đoàn kết với nhân dân "
    "nơi cư trú.",
    "Đồng chí luôn giữ gìn phẩm chất chính trị, đạo đức, lối sống, chấp hành tốt chủ trương của "
    "Đảng, chính sách, pháp luật của Nhà nước và quy định của địa phương, đoàn kết tốt với nhân "
    "dân nơi cư trú.",
)
# "Good" on every line, no proposal, no word of its own.
FORMULAIC_LEVELS = {1: (0, ""), 2: (0, ""), 4: (0, ""), 5: (0, ""), 6: (1, "")}
DRAFT = {1: (0, "Gương mẫu, nhiệt tình với công việc chung của khu dân cư.")}

MOVE_DETAILS = "Chuyển về ở cùng gia đình bố mẹ."
DISCIPLINE_DETAILS = (
    "Kỷ luật khiển trách theo quyết định của {workplace}, do vi phạm quy chế chi tiêu nội bộ."
)
NONPARTICIPATION = (
    "Đồng chí {name} không dự buổi sinh hoạt với đảng viên đang công tác ngày {day:%d/%m/%Y}, "
    "không báo lý do. Chi ủy đã nhắn tin nhắc nhở nhưng đồng chí chưa liên hệ lại. Đề nghị cấp ủy "
    "nơi công tác nhắc nhở đồng chí."
)
SITTING_NOTE = "Họp lấy ý kiến nhận xét đảng viên đang công tác năm {year}."
SECRETARY = "{name} — Bí thư chi bộ"
