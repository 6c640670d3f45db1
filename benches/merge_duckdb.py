#!/usr/bin/env python3
"""The DuckDB peer of `anketa merge` in benches/merge.sh: reads the same interview files with
`read_json_objects`, keeps the newest completed copy of each interview (`QUALIFY row_number()`
over revision, then `updated`) and writes them out, one per line. No checks, no CSV layout: the
floor of what an analytical engine needs to dedupe the same files.

usage: merge_duckdb.py OUT_DIR INPUT_DIR...     (pip install duckdb)
"""
import os
import sys

import duckdb


def main():
    out, inputs = sys.argv[1], sys.argv[2:]
    os.makedirs(out, exist_ok=True)
    globs = [os.path.join(d, "interviews", "*.json") for d in inputs]
    con = duckdb.connect()
    target = os.path.join(out, "interviews.csv").replace("'", "''")
    con.execute(
        f"""
        COPY (
            SELECT json
            FROM read_json_objects(?, format = 'auto')
            WHERE json ->> 'status' = 'completed'
            QUALIFY row_number() OVER (
                PARTITION BY json ->> 'id'
                ORDER BY (json ->> 'revision')::BIGINT DESC, json ->> 'updated' DESC
            ) = 1
            ORDER BY json ->> 'id'
        ) TO '{target}' (FORMAT csv, HEADER false)
        """,
        [globs],
    )


if __name__ == "__main__":
    main()
