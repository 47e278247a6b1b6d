"""The demo province as a plan: plain data, generated, loaded by tree.py.

``generate()`` is pure Python: the same size and seed give the same plan on every machine and
every day (dates count from a fixed reference day, never from today).
"""

import random
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from members.models import Member, Organisation, Role

from . import names as data
from . import organisations as orgs

ROOT_CODE = "demo-province"
DEMO_PASSWORD = "partyreg-demo"
# The authenticator secret of the demo logins that must use two-factor login (khoi, admin), the
# same on every demo site, so `manage.py demo_otp khoi` can print the current code. Hex of the
# 20 bytes "partyreg-demo-totp!!"; in an app: base32 OBQXE5DZOJSWOLLEMVWW6LLUN52HAIJB.
DEMO_TOTP_KEY = b"partyreg-demo-totp!!".hex()
DEFAULT_SEED = 213
REFERENCE_DATE = date(2026, 11, 1)
SIZES = ("bloc", "province")
BLOC_MEMBERS = 2_700
PROVINCE_MEMBERS = 100_000
# Area blocs of the province-sized demo: one per area and sector, each this many grassroots orgs.
AREA_BLOC_GRASSROOTS = (55, 80)
COQUAN_ORGANISATION = "Đảng bộ Sở Tài chính"
# One in this many of coquan's members living in phuong's commune keeps an address in the area
# of another cell than chibo's.
GATHER_EVERY = 4

K = Organisation.Kind


@dataclass(frozen=True)
class OrgSpec:
    code: str
    name: str
    kind: str
    parent: str | None
    place_name: str
    superior_name: str
    # The areas a residence cell covers, as the commune names them ("Tổ dân phố 3").
    areas: tuple[str, ...] = ()


@dataclass(frozen=True)
class MemberSpec:
    full_name: str
    gender: str
    date_of_birth: date
    card_number: str
    profile_number: str
    admitted_on: date
    full_member_on: date | None
    workplace: str
    position: str
    phone: str
    residence_address: str
    residence_commune: str
    # The residence cell the address lies in; not stored on the member (referrals assign it).
    residence_cell: str
    status: str = Member.Status.ACTIVE
    category: str = Member.Category.NORMAL
    category_reason: str = ""
    category_since: date | None = None


@dataclass(frozen=True)
class LoginSpec:
    username: str
    first_name: str
    last_name: str
    role: str = ""
    organisation: str = ""
    member_index: int | None = None
    is_superuser: bool = False


@dataclass
class DemoPlan:
    size: str
    seed: int
    organisations: list[OrgSpec] = field(default_factory=list)
    members: list[MemberSpec] = field(default_factory=list)
    logins: list[LoginSpec] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(1 for o in self.organisations if o.kind == kind)


@dataclass
class LoadResult:
    organisations: int
    members: int
    # (username, full name, what the login is)
    logins: list[tuple[str, str, str]]
    kept_users: list[str]


class DemoAlreadyLoaded(Exception):
    pass


def _superior(parent_name: str) -> str:
    """The header line above an issuing body: its parent as a Party organisation, in capitals."""
    return parent_name.replace("Đảng ủy", "Đảng bộ").upper()


def _split(total: int, weights: list[float]) -> list[int]:
    """``total`` shared in proportion to ``weights``, largest remainders rounded up."""
    whole = sum(weights)
    raw = [total * w / whole for w in weights]
    counts = [int(r) for r in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: (counts[i] - raw[i], i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _cumulative(weights):
    running, out = 0.0, []
    for w in weights:
        running += w
        out.append(running)
    return out


class _Generator:
    def __init__(self, size: str, seed: int):
        if size not in SIZES:
            raise ValueError(f"size must be one of {SIZES}, not {size!r}")
        self.size = size
        self.rng = random.Random(f"partyreg-demo:{size}:{seed}")
        self.plan = DemoPlan(size=size, seed=seed)
        self.communes: list[str] = []
        self.commune_area: dict[str, str] = {}
        self.residence_cells: dict[str, list[tuple[str, str]]] = {}  # commune -> (code, locality)
        self.commune_is_ward: dict[str, bool] = {}
        self._family = (
            [n for n, _ in data.FAMILY_NAMES],
            _cumulative([w for _, w in data.FAMILY_NAMES]),
        )
        self._middle = {
            Member.Gender.MALE: (
                [n for n, _ in data.MALE_MIDDLE_NAMES],
                _cumulative([w for _, w in data.MALE_MIDDLE_NAMES]),
            ),
            Member.Gender.FEMALE: (
                [n for n, _ in data.FEMALE_MIDDLE_NAMES],
                _cumulative([w for _, w in data.FEMALE_MIDDLE_NAMES]),
            ),
        }
        self._positions = {
            sector: ([n for n, _ in table], _cumulative([w for _, w in table]))
            for sector, table in (
                ("agency", orgs.POSITIONS_AGENCY),
                ("medical", orgs.POSITIONS_MEDICAL),
                ("school", orgs.POSITIONS_SCHOOL),
                ("enterprise", orgs.POSITIONS_ENTERPRISE),
            )
        }

    def _pick(self, table):
        names, cum = table
        return self.rng.choices(names, cum_weights=cum)[0]

    def _org(self, code, name, kind, parent: OrgSpec | None, place, areas=()) -> OrgSpec:
        spec = OrgSpec(
            code=code,
            name=name,
            kind=kind,
            parent=parent.code if parent else None,
            place_name=place,
            superior_name=_superior(parent.name) if parent else "BAN CHẤP HÀNH TRUNG ƯƠNG",
            areas=tuple(areas),
        )
        self.plan.organisations.append(spec)
        return spec

    # --- the tree ---------------------------------------------------------------------------

    def build(self) -> DemoPlan:
        root = self._org(ROOT_CODE, data.PROVINCE_NAME, K.SUPERVISING, None, data.PROVINCE_PLACE)
        areas = {"Đà Lạt": data.AREAS["Đà Lạt"][:10]} if self.size == "bloc" else data.AREAS
        for area, communes in areas.items():
            for unit, short in communes:
                self._commune(root, area, unit, short)

        bloc = self._org(
            "demo-b01", data.AGENCIES_BLOC_NAME, K.SUPERVISING, root, data.PROVINCE_PLACE
        )
        total = BLOC_MEMBERS
        agencies_residence = self._residence_table(
            self.communes[:10], orgs.AGENCIES_RESIDENCE_WEIGHTS
        )
        counts = _split(total, [w for _, w in orgs.AGENCIES])
        for i, ((name, _weight), count) in enumerate(zip(orgs.AGENCIES, counts, strict=True), 1):
            self._grassroots(
                bloc,
                f"demo-b01-g{i:02d}",
                name,
                _sector_of(name),
                data.PROVINCE_PLACE,
                count,
                agencies_residence,
            )
        if self.size == "province":
            self._area_blocs(root, PROVINCE_MEMBERS - total)
        self._assign_categories_and_statuses()
        self._logins()
        return self.plan

    def _commune(self, root, area, unit, short):
        code = f"demo-c{len(self.communes) + 1:03d}"
        place = short.split("–")[-1].strip()
        if place[0].isdigit():
            place = place.split(" ", 1)[1]
        commune = self._org(code, f"Đảng ủy {unit} {short}", K.COMMUNE, root, place)
        self.communes.append(code)
        self.commune_area[code] = area
        is_ward = unit == "phường"
        self.commune_is_ward[code] = is_ward
        if is_ward:
            areas = [f"Tổ dân phố {n}" for n in range(1, self.rng.randint(8, 14) + 1)]
        else:
            hamlets = self.rng.sample(data.HAMLETS, self.rng.randint(6, 10))
            areas = [f"Thôn {hamlet}" for hamlet in hamlets]
        cells = []
        for n, area in enumerate(areas, 1):
            # Each cell covers one area and is named after it; an address names the area as
            # people write it ("…, tổ dân phố 3"), which the commune's area name matches.
            spec = self._org(
                f"{code}-r{n:02d}", f"Chi bộ {area}", K.RESIDENCE_CELL, commune, place, [area]
            )
            cells.append((spec.code, area[:1].lower() + area[1:]))
        self.residence_cells[code] = cells

    def _residence_table(self, communes, weights):
        return (list(communes), _cumulative(weights))

    def _area_blocs(self, root, total):
        blocs = []
        for area in data.AREAS:
            for sector_label, (sector, templates) in orgs.AREA_BLOC_SECTORS.items():
                blocs.append((area, sector_label, sector, templates))
        grassroots_counts = [self.rng.randint(*AREA_BLOC_GRASSROOTS) for _ in blocs]
        weights = [self.rng.uniform(0.5, 2.0) for _ in range(sum(grassroots_counts))]
        member_counts = iter(_split(total, weights))
        all_communes = self.communes
        for b, ((area, sector_label, sector, templates), n_orgs) in enumerate(
            zip(blocs, grassroots_counts, strict=True), 2
        ):
            bloc = self._org(
                f"demo-b{b:02d}",
                f"Đảng bộ Khối {sector_label} khu vực {area}",
                K.SUPERVISING,
                root,
                area,
            )
            area_communes = [c for c in all_communes if self.commune_area[c] == area]
            # Nine in ten live in the bloc's own area, wards more than villages.
            weights = {c: 0.1 / len(all_communes) for c in all_communes}
            area_weights = [2.0 if self.commune_is_ward[c] else 1.0 for c in area_communes]
            for c, w in zip(area_communes, area_weights, strict=True):
                weights[c] += 0.9 * w / sum(area_weights)
            residence = self._residence_table(all_communes, [weights[c] for c in all_communes])
            places = [n for u, n in data.AREAS[area]]
            names = [t.format(place=p) for p in places for t in templates]
            self.rng.shuffle(names)
            for g in range(1, n_orgs + 1):
                name = names[(g - 1) % len(names)]
                if g > len(names):
                    name = f"{name} {(g - 1) // len(names) + 1}"
                self._grassroots(
                    bloc,
                    f"demo-b{b:02d}-g{g:02d}",
                    name,
                    sector,
                    area,
                    next(member_counts),
                    residence,
                )

    def _grassroots(self, bloc, code, name, sector, place, n_members, residence):
        org = self._org(code, name, K.GRASSROOTS, bloc, place)
        if name.startswith("Chi bộ"):
            pool = orgs.CELLS_GROUPS
            n_cells = self.rng.randint(1, len(pool))
        else:
            pool = {
                "medical": orgs.CELLS_MEDICAL,
                "school": orgs.CELLS_SCHOOL,
                "enterprise": orgs.CELLS_ENTERPRISE,
            }.get(sector, orgs.CELLS_AGENCY)
            n_cells = self.rng.randint(2, 6)
        cells = [
            self._org(f"{code}-c{n}", cell_name, K.CELL, org, place).code
            for n, cell_name in enumerate(self.rng.sample(pool, n_cells), 1)
        ]
        for _ in range(n_members):
            self.plan.members.append(self._member(self.rng.choice(cells), sector, residence))

    # --- people -----------------------------------------------------------------------------

    def _name(self, gender) -> str:
        rng = self.rng
        given = rng.choice(
            data.MALE_GIVEN_NAMES if gender == Member.Gender.MALE else data.FEMALE_GIVEN_NAMES
        )
        return f"{self._pick(self._family)} {self._pick(self._middle[gender])} {given}"

    def _member(self, workplace, sector, residence) -> dict:
        rng = self.rng
        gender = Member.Gender.MALE if rng.random() < 0.52 else Member.Gender.FEMALE
        age_days = rng.randint(24 * 365, 60 * 365)
        born = REFERENCE_DATE - timedelta(days=age_days)
        admitted = born + timedelta(days=rng.randint(20 * 365, min(45 * 365, age_days - 60)))
        full = admitted + timedelta(days=365)
        commune = rng.choices(residence[0], cum_weights=residence[1])[0]
        cell, locality = rng.choice(self.residence_cells[commune])
        number = rng.randint(1, 250)
        if self.commune_is_ward[commune]:
            address = f"Số {number}, đường {rng.choice(data.STREETS)}, {locality}"
        else:
            address = f"Số {number}, {locality}"
        phone = (
            rng.choice(orgs.PHONE_PREFIXES) + f"{rng.randint(0, 9_999_999):07d}"
            if rng.random() < 0.95
            else ""
        )
        return {
            "full_name": self._name(gender),
            "gender": gender,
            "date_of_birth": born,
            "admitted_on": admitted,
            "full_member_on": full if full <= REFERENCE_DATE else None,
            "workplace": workplace,
            "position": self._pick(self._positions[sector]),
            "phone": phone,
            "residence_address": address,
            "residence_commune": commune,
            "residence_cell": cell,
        }

    def _assign_categories_and_statuses(self):
        rng = self.rng
        people = self.plan.members
        n = len(people)
        order = list(range(n))
        rng.shuffle(order)
        cards = rng.sample(range(10_000_000, 100_000_000), n)
        profiles = rng.sample(range(1, 1_000_000), n)
        for i, person in enumerate(people):
            person["card_number"] = str(cards[i])
            person["profile_number"] = f"LĐ-{profiles[i]:06d}"
        quotas = [
            ("category", Member.Category.EXEMPT_ACTIVITY, 0.03, orgs.EXEMPT_ACTIVITY_REASONS),
            (
                "category",
                Member.Category.EXEMPT_INTRODUCTION,
                0.01,
                orgs.EXEMPT_INTRODUCTION_REASONS,
            ),
            ("status", Member.Status.DISCIPLINED, 0.004, None),
            ("status", Member.Status.TRANSFERRED_OUT, 0.003, None),
            ("status", Member.Status.DECEASED, 0.001, None),
            ("status", Member.Status.LEFT, 0.0007, None),
            ("status", Member.Status.STRUCK_OFF, 0.0007, None),
            ("status", Member.Status.EXPELLED, 0.0004, None),
        ]
        cursor = 0
        for attribute, value, share, reasons in quotas:
            for index in order[cursor : cursor + max(1, round(n * share))]:
                person = people[index]
                person[attribute] = value
                if reasons:
                    person["category_reason"] = rng.choice(reasons)
                    since = REFERENCE_DATE - timedelta(days=rng.randint(30, 1000))
                    person["category_since"] = max(since, person["admitted_on"])
            cursor += max(1, round(n * share))
        self.plan.members = [MemberSpec(**person) for person in people]

    def _logins(self):
        plan = self.plan
        coquan_org = next(
            o
            for o in plan.organisations
            if o.name == COQUAN_ORGANISATION and o.kind == K.GRASSROOTS
        )
        prefix = coquan_org.code + "-"
        own = [(i, m) for i, m in enumerate(plan.members) if m.workplace.startswith(prefix)]
        # The commune where most of coquan's members live: phuong's, so both sides meet.
        commune = Counter(m.residence_commune for _, m in own).most_common(1)[0][0]
        index, member = next(
            (i, m)
            for i, m in own
            if m.residence_commune == commune
            and m.status == Member.Status.ACTIVE
            and m.category == Member.Category.NORMAL
        )
        self._gather_in_cell(own, commune, member.residence_cell)
        family_middle, given = member.full_name.rsplit(" ", 1)
        # Django prints first_name then last_name; a Vietnamese name reads family name first,
        # so first_name holds the family and middle names and last_name the given name.
        plan.logins = [
            LoginSpec("khoi", "Lê Thị Thu", "Hà", Role.Kind.STAFF, "demo-b01"),
            LoginSpec("coquan", "Trần Quốc", "Bảo", Role.Kind.SECRETARY, coquan_org.code),
            LoginSpec("phuong", "Võ Văn", "Thắng", Role.Kind.OFFICER, commune),
            LoginSpec("chibo", "Đặng Văn", "Lộc", Role.Kind.SECRETARY, member.residence_cell),
            LoginSpec("dangvien", family_middle, given, member_index=index),
            LoginSpec("admin", "Bùi Minh", "Tuấn", is_superuser=True),
        ]

    def _gather_in_cell(self, own, commune: str, cell: str) -> None:
        """Moves three in four of coquan's members who live in phuong's commune into the area of
        chibo's cell (the rest stay in the other cells' areas), so that chibo's cell has most of
        the work and every member's address still names the area of the cell they go to."""
        locality = dict(self.residence_cells[commune])[cell]
        neighbours = [
            i for i, m in own if m.residence_commune == commune and m.residence_cell != cell
        ]
        for j, index in enumerate(neighbours):
            if j % GATHER_EVERY == GATHER_EVERY - 1:
                continue
            person = self.plan.members[index]
            street = person.residence_address.rsplit(", ", 1)[0]
            self.plan.members[index] = replace(
                person, residence_address=f"{street}, {locality}", residence_cell=cell
            )


def _sector_of(name: str) -> str:
    if "Bệnh viện" in name or "Y tế" in name or "bệnh tật" in name:
        return "medical"
    if "Trường" in name:
        return "school"
    return "agency"


def generate(size: str = "bloc", seed: int = DEFAULT_SEED) -> DemoPlan:
    """The demo province as plain data; the same arguments give an equal plan every time."""
    return _Generator(size, seed).build()
