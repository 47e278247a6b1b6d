"""Two unrelated organisation trees with a row of every kind, built once for the URL walk.

Tree A and tree B are alike: a supervising bloc with an agency and its cell, a commune with a
residence cell and an area it covers, a user for every role, a member with a referral carried
to the cell, a change notice, meetings (one confirmed), a non-participation report, a campaign
with its comment requests (one certified, with a printed sheet kept for signing), a print job
with a file and a member import.
Every name carries the tree's letter, so a page that leaks one tree to the other shows it.

Every free text (names of organisations, members and users, places, agendas, notices, reports,
comments, file names) ends with ``HOSTILE``, HTML and script: the walk checks that no page
carries it as markup and that PDFs print it as text.
"""

import datetime
import io
from dataclasses import dataclass, field

from django.apps import apps
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone

from evaluations import services as campaign_services
from evaluations.models import CommentRequest, PrintJob, PrintJobFile
from evaluations.signatures import services as signature_services
from evaluations.signatures.sheets import SHEET
from members.models import Member, MemberImport, Organisation, Role
from members.services import residence_area_add
from partyreg.notifications.delivery import notification_send_test
from partyreg.twofactor import client_mark_verified, policy_requires
from residence import services as referral_services
from residence.meetings import services as meeting_services
from residence.meetings.models import Attendance
from residence.models import ChangeNotice
from tests.evaluations.factories import CampaignFactory, CommentRequestFactory
from tests.members.factories import MemberFactory, OrganisationFactory, RoleFactory, UserFactory

K = Organisation.Kind
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)><b>'
ROLE_NAMES = ("khoi", "coquan", "phuong", "chibo", "dangvien", "admin")


@dataclass
class Tree:
    letter: str
    users: dict = field(default_factory=dict)
    markers: list = field(default_factory=list)


def build_tree(letter: str, province: Organisation, admin) -> Tree:
    t = Tree(letter)
    t.bloc = OrganisationFactory(
        name=f"Khối {letter} {HOSTILE}", kind=K.SUPERVISING, parent=province
    )
    t.agency = OrganisationFactory(
        name=f"Đảng bộ Sở {letter} {HOSTILE}", kind=K.GRASSROOTS, parent=t.bloc
    )
    t.cell = OrganisationFactory(
        name=f"Chi bộ Phòng {letter} {HOSTILE}", kind=K.CELL, parent=t.agency
    )
    t.cell2 = OrganisationFactory(
        name=f"Chi bộ Văn phòng {letter} {HOSTILE}", kind=K.CELL, parent=t.agency
    )
    t.commune = OrganisationFactory(
        name=f"Phường {letter} {HOSTILE}", kind=K.COMMUNE, parent=province
    )
    t.residence_cell = OrganisationFactory(
        name=f"Tổ dân phố {letter} {HOSTILE}", kind=K.RESIDENCE_CELL, parent=t.commune
    )

    def user(name, org=None, kind=Role.Kind.SECRETARY):
        u = UserFactory(username=name, first_name=f"Tên {HOSTILE}")
        if org is not None:
            RoleFactory(user=u, organisation=org, kind=kind)
        return u

    suffix = "" if letter == "A" else "_b"
    t.users = {
        "khoi": user(f"khoi{suffix}", t.bloc, Role.Kind.STAFF),
        "coquan": user(f"coquan{suffix}", t.agency),
        "phuong": user(f"phuong{suffix}", t.commune, Role.Kind.OFFICER),
        "chibo": user(f"chibo{suffix}", t.residence_cell),
        "dangvien": user(f"dangvien{suffix}"),
        "admin": admin,
    }
    secretary, officer, cell_secretary = (t.users[k] for k in ("coquan", "phuong", "chibo"))

    def member(name, **fields):
        return MemberFactory(
            full_name=f"{name} {HOSTILE}",
            workplace_org=t.cell,
            residence_commune=t.commune,
            residence_address=f"12 Trần Phú {HOSTILE}",
            **fields,
        )

    t.area = residence_area_add(
        actor=t.users["phuong"], cell=t.residence_cell, name=f"Khu phố {letter} {HOSTILE}"
    )
    t.member = member(f"Nguyễn Văn Ẩn{letter}")
    t.member.user = t.users["dangvien"]
    t.member.save(update_fields=["user"])
    t.referral = referral_services.referral_issue(actor=secretary, member=t.member)
    referral_services.referral_receive(actor=officer, referral=t.referral)
    t.referral = referral_services.referral_assign(
        actor=officer, referral=t.referral, residence_cell=t.residence_cell
    )
    t.issued = referral_services.referral_issue(
        actor=secretary, member=member(f"Trần Thị Bảo{letter}")
    )
    t.notice = referral_services.change_record(
        actor=secretary,
        member=member(f"Lê Văn Chuyển{letter}"),
        kind=ChangeNotice.Kind.DISCIPLINED,
        effective_on=timezone.localdate(),
        details=f"Kỷ luật khiển trách {letter} {HOSTILE}",
    )

    today = timezone.localdate()
    meeting_args = {
        "residence_cell": t.residence_cell,
        "starts_at": datetime.time(19, 30),
        "place": f"Nhà văn hóa {letter} {HOSTILE}",
        "agenda": f"Sinh hoạt {letter} {HOSTILE}",
    }
    t.meeting = meeting_services.meeting_schedule(
        actor=cell_secretary, held_on=today - datetime.timedelta(days=7), **meeting_args
    )
    meeting_services.attendance_record(
        actor=cell_secretary, meeting=t.meeting, marks={t.member.pk: ("present", "")}
    )
    t.meeting = meeting_services.meeting_confirm(actor=cell_secretary, meeting=t.meeting)
    t.attendance = Attendance.objects.get(meeting=t.meeting, member=t.member)
    t.upcoming = meeting_services.meeting_schedule(
        actor=cell_secretary, held_on=today + datetime.timedelta(days=7), **meeting_args
    )
    t.own_attendance = Attendance.objects.get(meeting=t.upcoming, member=t.member)
    t.report = meeting_services.nonparticipation_report(
        actor=cell_secretary,
        member=t.member,
        residence_cell=t.residence_cell,
        text=f"Không tham gia sinh hoạt {letter} {HOSTILE}",
    )

    t.campaign = campaign_services.campaign_open(
        actor=secretary, organisation=t.agency, due_on=today + datetime.timedelta(days=20)
    ).campaign
    t.open_request = t.campaign.requests.get()
    t.certified = CommentRequestFactory(
        member=member(f"Phạm Thị Duyên{letter}"),
        residence_cell=t.residence_cell,
        campaign=CampaignFactory(organisation=t.agency, year=2025),
        verification_code=f"VERIFY{letter}",
        other_comments=f"Nhận xét riêng của tổ {letter} {HOSTILE}",
    )
    assert t.certified.state == CommentRequest.State.CERTIFIED
    # Its sheet kept for signing (no certificate signs in the walk): the code printed on it
    # opens the public verification page.
    signature_services.document_start(actor=admin, doc_type=SHEET, subject=t.certified)

    t.print_job = PrintJob.objects.create(
        created_by=secretary,
        campaign=t.certified.campaign,
        request_ids=[t.certified.pk],
        total=1,
        done=1,
        status=PrintJob.Status.DONE,
    )
    job_file = PrintJobFile(job=t.print_job, position=0, sheets=1)
    job_file.file.save(f"job-{letter}.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=True)
    t.member_import = MemberImport(
        created_by=secretary,
        original_name=f"danh-sach-{letter}{HOSTILE}.xlsx",
        summary={"counts": {"new": 0, "updated": 0, "unchanged": 0}, "rows": [], "errors": []},
    )
    t.member_import.file.save(f"{letter}.xlsx", ContentFile(_empty_workbook()), save=True)
    t.notification = notification_send_test(user=secretary)
    # The names of the tree's members and organisations without the hostile tail: found in a
    # page whether it escapes the tail or not. Organisation names are reference data that
    # choice lists offer on purpose (a transfer may go to any workplace, a member may live in
    # any commune): outside a choice list they are a leak, inside one they are not.
    members = Member.objects.filter(workplace_org__path__startswith=t.bloc.path)
    organisations = (t.bloc, t.agency, t.cell, t.cell2, t.commune, t.residence_cell)
    t.markers = [m.full_name.removesuffix(f" {HOSTILE}") for m in members]
    t.org_markers = [o.name.removesuffix(f" {HOSTILE}") for o in organisations]
    return t


def _empty_workbook() -> bytes:
    from openpyxl import Workbook

    buffer = io.BytesIO()
    Workbook().save(buffer)
    return buffer.getvalue()


def build_shared():
    province = OrganisationFactory(name="Tỉnh Thử Nghiệm", kind=K.SUPERVISING)
    admin = UserFactory(username="admin", is_superuser=True, is_staff=True)
    return province, admin


# --- what the walk and the odd-input test share ---------------------------------------------

SNAPSHOT_APPS = ("members", "residence", "evaluations", "partyreg", "otp_totp")


def site_models():
    """The models whose rows the snapshot holds."""
    from django.contrib.auth import get_user_model

    models = [get_user_model()]
    for label in SNAPSHOT_APPS:
        models.extend(apps.get_app_config(label).get_models())
    return models


def snapshot() -> dict:
    """Every row of the site's tables, by (model, primary key)."""
    rows = {}
    for model in site_models():
        names = [f.attname for f in model._meta.concrete_fields]
        for values in model.objects.values_list(*names):
            rows[(model, values[0])] = dict(zip(names, values, strict=True))
    return rows


def logged_in(user) -> Client:
    """A client signed in as ``user`` (anonymous for None), past two-factor login."""
    client = Client()
    if user is not None:
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        if policy_requires(user):
            client_mark_verified(client, user)
    return client
