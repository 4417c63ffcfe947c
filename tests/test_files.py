"""innostudy.files: CSV records told by their physical lines, whatever their quoting."""

import csv
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from innostudy import files

CELL = st.text(alphabet=st.sampled_from(list('ab,"\n 万元2015年')), max_size=8)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(CELL, CELL, CELL), min_size=1, max_size=12))
def test_records_written_by_csv_read_back_with_the_line_each_starts_on(rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["a", "b", "c"])
    starts, line = [], 2
    for row in rows:
        before = buffer.tell()
        writer.writerow(row)
        record = buffer.getvalue()[before:]
        starts.append(line)  # three empty cells are written ",,": a record too
        line += record.count("\n")
    frame, problems = files.read_csv(Path("t.csv"), content=buffer.getvalue().encode())
    assert problems == []
    assert frame.index.tolist() == starts
    expected = [[c or None for c in row] for row in rows]
    assert frame.astype(object).where(frame.notna(), None).values.tolist() == expected


def test_an_oversized_file_is_refused_from_its_size_without_being_read(tmp_path):
    big = tmp_path / "big.csv"
    with open(big, "wb") as handle:
        handle.truncate(files.MAX_TABLE_BYTES + 1)  # sparse: nothing to read, a size to see
    with pytest.raises(files.InputError, match="more than the limit of 268,435,456"):
        files.read_csv(big)
