"""The demo province's organisations (evaluations.demo.plan): agencies, cells, positions,
exemption reasons. Plain data, no logic."""

# Where the agencies bloc's members live (weights for the first ten communes of Đà Lạt).
AGENCIES_RESIDENCE_WEIGHTS = [25, 15, 20, 10, 10, 6, 6, 3, 3, 2]

# The 68 grassroots organisations of the provincial agencies bloc: (name, relative size).
AGENCIES = [
    ("Đảng bộ Sở Tài chính", 1.5),
    ("Đảng bộ Sở Nội vụ", 1.2),
    ("Đảng bộ Sở Tư pháp", 0.8),
    ("Đảng bộ Sở Công Thương", 1.0),
    ("Đảng bộ Sở Nông nghiệp và Môi trường", 2.5),
    ("Đảng bộ Sở Xây dựng", 1.3),
    ("Đảng bộ Sở Giáo dục và Đào tạo", 1.5),
    ("Đảng bộ Sở Y tế", 1.5),
    ("Đảng bộ Sở Khoa học và Công nghệ", 1.0),
    ("Đảng bộ Sở Văn hóa, Thể thao và Du lịch", 1.4),
    ("Chi bộ Sở Ngoại vụ", 0.4),
    ("Đảng bộ Sở Dân tộc và Tôn giáo", 0.6),
    ("Đảng bộ Thanh tra tỉnh", 0.9),
    ("Đảng bộ Văn phòng Ủy ban nhân dân tỉnh", 1.1),
    ("Chi bộ Văn phòng Đoàn Đại biểu Quốc hội và Hội đồng nhân dân tỉnh", 0.6),
    ("Chi bộ Ban Dân vận Tỉnh ủy", 0.4),
    ("Chi bộ Ban Tổ chức Tỉnh ủy", 0.6),
    ("Chi bộ Ban Tuyên giáo Tỉnh ủy", 0.5),
    ("Chi bộ Ủy ban Kiểm tra Tỉnh ủy", 0.5),
    ("Chi bộ Ban Nội chính Tỉnh ủy", 0.4),
    ("Đảng bộ Văn phòng Tỉnh ủy", 1.0),
    ("Đảng bộ Báo và Phát thanh, Truyền hình Lâm Đồng", 1.6),
    ("Đảng bộ Trường Chính trị tỉnh", 1.0),
    ("Chi bộ Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh", 0.7),
    ("Chi bộ Tỉnh đoàn", 0.5),
    ("Chi bộ Hội Liên hiệp Phụ nữ tỉnh", 0.4),
    ("Chi bộ Hội Nông dân tỉnh", 0.4),
    ("Chi bộ Hội Cựu chiến binh tỉnh", 0.3),
    ("Chi bộ Liên đoàn Lao động tỉnh", 0.5),
    ("Đảng bộ Kho bạc Nhà nước khu vực XV", 1.0),
    ("Đảng bộ Thuế tỉnh Lâm Đồng", 2.0),
    ("Đảng bộ Ngân hàng Nhà nước chi nhánh tỉnh", 0.7),
    ("Đảng bộ Bảo hiểm xã hội tỉnh", 1.2),
    ("Đảng bộ Tòa án nhân dân tỉnh", 1.0),
    ("Đảng bộ Viện Kiểm sát nhân dân tỉnh", 1.0),
    ("Đảng bộ Thi hành án dân sự tỉnh", 0.8),
    ("Chi bộ Thống kê tỉnh", 0.5),
    ("Đảng bộ Trường Đại học Đà Lạt", 3.0),
    ("Đảng bộ Trường Cao đẳng Đà Lạt", 1.3),
    ("Đảng bộ Trường Cao đẳng Y tế Lâm Đồng", 0.8),
    ("Đảng bộ Bệnh viện Đa khoa tỉnh Lâm Đồng", 3.0),
    ("Đảng bộ Bệnh viện Y dược cổ truyền Phạm Ngọc Thạch", 0.9),
    ("Đảng bộ Bệnh viện Nhi Lâm Đồng", 0.9),
    ("Chi bộ Bệnh viện Phục hồi chức năng tỉnh", 0.4),
    ("Đảng bộ Trung tâm Kiểm soát bệnh tật tỉnh", 1.0),
    ("Đảng bộ Trường THPT chuyên Thăng Long – Đà Lạt", 0.8),
    ("Đảng bộ Trường THPT Bùi Thị Xuân", 0.8),
    ("Chi bộ Trường THPT Trần Phú", 0.6),
    ("Chi bộ Trường Phổ thông Dân tộc nội trú tỉnh", 0.5),
    ("Đảng bộ Ban Quản lý các khu công nghiệp tỉnh", 0.6),
    ("Chi bộ Ban Quản lý dự án đầu tư xây dựng các công trình dân dụng và công nghiệp", 0.5),
    ("Chi bộ Ban Quản lý dự án đầu tư xây dựng các công trình giao thông", 0.5),
    ("Đảng bộ Vườn quốc gia Bidoup – Núi Bà", 0.8),
    ("Chi bộ Văn phòng Đăng ký đất đai tỉnh", 0.7),
    ("Chi bộ Đài Khí tượng thủy văn tỉnh", 0.3),
    ("Chi bộ Liên minh Hợp tác xã tỉnh", 0.3),
    ("Chi bộ Hội Chữ thập đỏ tỉnh", 0.3),
    ("Chi bộ Liên hiệp các Hội Khoa học và Kỹ thuật tỉnh", 0.3),
    ("Chi bộ Hội Văn học Nghệ thuật tỉnh", 0.3),
    ("Chi bộ Bảo tàng Lâm Đồng", 0.3),
    ("Chi bộ Thư viện tỉnh", 0.3),
    ("Đảng bộ Trung tâm Văn hóa Nghệ thuật tỉnh", 0.6),
    ("Chi bộ Quỹ Đầu tư phát triển tỉnh", 0.3),
    ("Chi bộ Quỹ Bảo vệ và Phát triển rừng tỉnh", 0.3),
    ("Đảng bộ Chi cục Kiểm lâm tỉnh", 1.0),
    ("Chi bộ Trung tâm Xúc tiến Đầu tư, Thương mại và Du lịch tỉnh", 0.4),
    ("Chi bộ Ban Bảo vệ, chăm sóc sức khỏe cán bộ tỉnh", 0.3),
    ("Chi bộ Viện Nghiên cứu hạt nhân", 0.7),
]

# Cells of a grassroots organisation, by the kind of workplace.
CELLS_AGENCY = [
    "Chi bộ Văn phòng",
    "Chi bộ Phòng Tổ chức – Hành chính",
    "Chi bộ Phòng Kế hoạch – Tài chính",
    "Chi bộ Thanh tra",
    "Chi bộ Phòng Nghiệp vụ 1",
    "Chi bộ Phòng Nghiệp vụ 2",
    "Chi bộ Phòng Pháp chế",
    "Chi bộ Trung tâm Thông tin",
]
CELLS_MEDICAL = [
    "Chi bộ Khối Nội",
    "Chi bộ Khối Ngoại",
    "Chi bộ Khoa Sản – Nhi",
    "Chi bộ Cận lâm sàng",
    "Chi bộ Phòng Điều dưỡng",
    "Chi bộ Hành chính – Quản trị",
]
CELLS_SCHOOL = [
    "Chi bộ Khoa Khoa học tự nhiên",
    "Chi bộ Khoa Khoa học xã hội",
    "Chi bộ Tổ Toán – Tin",
    "Chi bộ Tổ Ngữ văn",
    "Chi bộ Phòng Đào tạo",
    "Chi bộ Hành chính – Tổng hợp",
]
CELLS_ENTERPRISE = [
    "Chi bộ Văn phòng Công ty",
    "Chi bộ Phòng Kỹ thuật",
    "Chi bộ Phòng Kinh doanh",
    "Chi bộ Xí nghiệp 1",
    "Chi bộ Xí nghiệp 2",
    "Chi bộ Đội sản xuất",
]
# A "Chi bộ" grassroots organisation splits into Party groups rather than cells.
CELLS_GROUPS = ["Tổ đảng Văn phòng", "Tổ đảng Nghiệp vụ", "Tổ đảng Tổng hợp"]

POSITIONS_AGENCY = [
    ("Chuyên viên", 45),
    ("Chuyên viên chính", 15),
    ("Phó Trưởng phòng", 8),
    ("Trưởng phòng", 5),
    ("Kế toán viên", 5),
    ("Thanh tra viên", 4),
    ("Văn thư", 3),
    ("Phó Chánh Văn phòng", 2),
    ("Phó Giám đốc", 2),
    ("Nhân viên", 6),
]
POSITIONS_MEDICAL = [
    ("Bác sĩ", 30),
    ("Điều dưỡng", 35),
    ("Dược sĩ", 6),
    ("Kỹ thuật viên", 10),
    ("Phó Trưởng khoa", 5),
    ("Trưởng khoa", 4),
    ("Kế toán viên", 3),
]
POSITIONS_SCHOOL = [
    ("Giáo viên", 45),
    ("Giảng viên", 20),
    ("Tổ trưởng chuyên môn", 8),
    ("Phó Hiệu trưởng", 3),
    ("Nhân viên", 6),
    ("Kế toán viên", 2),
]
POSITIONS_ENTERPRISE = [
    ("Kỹ sư", 25),
    ("Công nhân", 30),
    ("Nhân viên kinh doanh", 15),
    ("Kế toán viên", 6),
    ("Phó Trưởng phòng", 6),
    ("Trưởng phòng", 4),
    ("Quản đốc", 3),
]

# Templates for the grassroots organisations of the area blocs (province-sized demo):
# {area} is the area's name, {place} one of its communes.
AREA_BLOC_SECTORS = {
    "cơ quan": (
        "agency",
        [
            "Chi bộ Kho bạc Nhà nước {place}",
            "Chi bộ Thuế cơ sở {place}",
            "Chi bộ Bảo hiểm xã hội cơ sở {place}",
            "Chi bộ Thi hành án dân sự {place}",
            "Chi bộ Tòa án nhân dân khu vực {place}",
            "Chi bộ Viện Kiểm sát nhân dân khu vực {place}",
            "Chi bộ Chi nhánh Văn phòng Đăng ký đất đai {place}",
            "Chi bộ Hạt Kiểm lâm {place}",
            "Đảng bộ Ban Quản lý rừng phòng hộ {place}",
            "Chi bộ Trung tâm Dịch vụ nông nghiệp {place}",
        ],
    ),
    "giáo dục": (
        "school",
        [
            "Chi bộ Trường THPT {place}",
            "Chi bộ Trường THCS {place}",
            "Chi bộ Trường Tiểu học {place}",
            "Chi bộ Trường Mầm non {place}",
            "Chi bộ Trường Phổ thông Dân tộc bán trú {place}",
            "Chi bộ Trung tâm Giáo dục nghề nghiệp {place}",
        ],
    ),
    "y tế": (
        "medical",
        [
            "Đảng bộ Trung tâm Y tế {place}",
            "Chi bộ Trạm Y tế {place}",
            "Chi bộ Phòng khám đa khoa khu vực {place}",
            "Đảng bộ Bệnh viện Đa khoa khu vực {place}",
        ],
    ),
    "doanh nghiệp": (
        "enterprise",
        [
            "Đảng bộ Công ty TNHH MTV Lâm nghiệp {place}",
            "Chi bộ Công ty Cổ phần Chè {place}",
            "Chi bộ Chi nhánh Ngân hàng Nông nghiệp {place}",
            "Chi bộ Điện lực {place}",
            "Chi bộ Bưu điện {place}",
            "Chi bộ Công ty Cổ phần Cà phê {place}",
            "Chi bộ Hợp tác xã Nông nghiệp {place}",
        ],
    ),
}

EXEMPT_ACTIVITY_REASONS = [
    "Học tập trung dài hạn tại Học viện Chính trị quốc gia Hồ Chí Minh",
    "Đi học nghiên cứu sinh ở nước ngoài",
    "Cán bộ luân chuyển, ở nhà công vụ",
    "Thường xuyên công tác lưu động, xa nơi cư trú",
    "Làm việc dài ngày tại công trình ở xa nơi cư trú",
]
EXEMPT_INTRODUCTION_REASONS = [
    "Làm nhiệm vụ yêu cầu giữ bí mật danh tính",
    "Thuộc đơn vị thường trực sẵn sàng chiến đấu",
]

PHONE_PREFIXES = [
    "090",
    "091",
    "093",
    "094",
    "096",
    "097",
    "098",
    "086",
    "088",
    "083",
    "084",
    "085",
    "032",
    "033",
    "034",
    "035",
    "036",
    "037",
    "038",
    "039",
    "070",
    "079",
    "077",
]
