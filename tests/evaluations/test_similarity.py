import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluations import similarity
from evaluations.models import CommentRequest

from .campaign_helpers import SAME, place, placed_member, sitting, submit

WORDS = st.lists(st.sampled_from(["tot", "guong", "mau", "tham", "gia", "day", "du", "doan"]))


def test_comment_text_folds_and_concatenates_in_sheet_order():
    text = similarity.comment_text(["Gương  MẪU", "", "Đoàn kết"], "Tham gia đầy đủ")
    assert text == "guong mau doan ket tham gia day du"


def test_identical_after_folding_is_one_and_disjoint_is_zero():
    assert similarity.ratio(
        similarity.comment_text([SAME], ""), similarity.comment_text([SAME.upper()], "")
    ) == pytest.approx(1.0)
    assert similarity.ratio("tot lam", "chua tich cuc") == 0.0


def test_best_match_names_the_closest_other_comment():
    text = similarity.comment_text([SAME], "")
    others = {
        3: ("Trần Văn Báo", similarity.comment_text(["Gia đình khó khăn, vận động làm đường"], "")),
        7: ("Lê Thị Cúc", similarity.comment_text([SAME.replace("tốt", "rất tốt")], "")),
        9: ("Võ Văn Em", ""),
    }
    match = similarity.best_match(text, others)
    assert (match.request_id, match.member_name) == (7, "Lê Thị Cúc")
    assert match.ratio > 0.9
    assert similarity.is_flagged(match)


def test_empty_text_matches_nothing():
    assert similarity.best_match("", {1: ("A", "tot")}) is None
    assert similarity.best_match("tot", {}) is None
    assert not similarity.is_flagged(None)


@settings(max_examples=200, deadline=None)
@given(text=WORDS, others=st.lists(WORDS, max_size=6))
def test_pruning_finds_the_same_best_ratio_as_comparing_everything(text, others):
    text = " ".join(text)
    table = {i: (f"m{i}", " ".join(o)) for i, o in enumerate(others)}
    match = similarity.best_match(text, table)
    brute = [similarity.ratio(text, o) for _n, o in table.values() if o and text]
    if not brute or max(brute) == 0:
        assert match is None
    else:
        assert match.ratio == pytest.approx(max(brute), abs=1e-4)


@pytest.mark.django_db
def test_the_cells_other_comments_are_read_in_one_query(world, django_assert_num_queries):
    from evaluations import services

    members = [placed_member(world, f"Thành viên {i}") for i in range(4)]
    place(world, world.member)
    requests = {
        r.member_id: r
        for r in services.campaign_open(actor=world.secretary, organisation=world.agency).requests
    }
    row = sitting(world)
    for i, member in enumerate(members):
        submit(world, requests[member.pk], sitting_row=row, comment=f"Nhận xét riêng số {i}")
    mine = requests[world.member.pk]
    with django_assert_num_queries(1):
        texts = similarity.cell_comment_texts(
            residence_cell_id=world.residence_cell.pk, year=mine.campaign.year, exclude_id=mine.pk
        )
    assert set(texts) == {requests[m.pk].pk for m in members}
    name, text = texts[requests[members[2].pk].pk]
    assert name == "Thành viên 2"
    assert text == " ".join(["nhan xet rieng so 2"] * 6)
    assert not CommentRequest.objects.filter(similar_to__isnull=False).exists()
