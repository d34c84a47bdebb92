#!/usr/bin/env python3
"""`stepflow run --db FILE` on a damaged, truncated, locked or too-new database file:
a clear error naming the file, exit code 2, and the file left as it was."""
import hashlib
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading

DEFINITION = '{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"ok":true},"End":true}}}'


def run(stepflow, db, definition, name, timeout=30):
    return subprocess.run([stepflow, "run", definition, "--db", db, "--name", name, "--result-json"],
                          capture_output=True, text=True, timeout=timeout)


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def expect_refused(what, proc, db, words):
    assert proc.returncode == 2, "%s: exit %d, stdout %r stderr %r" % (what, proc.returncode, proc.stdout, proc.stderr)
    assert db in proc.stderr, "%s: the error does not name the file: %r" % (what, proc.stderr)
    assert any(w in proc.stderr.lower() for w in words), "%s: unclear error: %r" % (what, proc.stderr)
    print("%s: %s" % (what, proc.stderr.strip().splitlines()[0]))


def main():
    stepflow = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        definition = os.path.join(tmp, "m.asl.json")
        with open(definition, "w") as f:
            f.write(DEFINITION)

        good = os.path.join(tmp, "good.db")
        for i in range(20):
            assert run(stepflow, good, definition, "e%d" % i).returncode == 0

        garbage = os.path.join(tmp, "garbage.db")
        with open(garbage, "wb") as f:
            f.write(os.urandom(8192))
        before = digest(garbage)
        expect_refused("random bytes", run(stepflow, garbage, definition, "x"), garbage,
                       ["not a database", "corrupt", "malformed"])
        assert digest(garbage) == before

        truncated = os.path.join(tmp, "truncated.db")
        conn = sqlite3.connect(good)
        conn.execute("VACUUM INTO ?", (truncated,))
        conn.close()
        size = os.path.getsize(truncated)
        with open(truncated, "r+b") as f:
            f.truncate(size // 2)
        expect_refused("truncated", run(stepflow, truncated, definition, "x"), truncated,
                       ["corrupt", "malformed", "truncated", "not a database"])

        newer = os.path.join(tmp, "newer.db")
        conn = sqlite3.connect(good)
        conn.execute("VACUUM INTO ?", (newer,))
        conn.close()
        conn = sqlite3.connect(newer)
        conn.execute("UPDATE schema_version SET version = 99")
        conn.commit()
        conn.close()
        before = digest(newer)
        expect_refused("newer schema", run(stepflow, newer, definition, "x"), newer, ["newer", "version 99"])
        assert digest(newer) == before

        # Another process holds the write lock past stepflow's busy timeout.
        holder = sqlite3.connect(good, isolation_level=None, timeout=0)
        holder.execute("BEGIN EXCLUSIVE")
        proc = run(stepflow, good, definition, "while-locked", timeout=60)
        holder.execute("ROLLBACK")
        holder.close()
        expect_refused("locked", proc, good, ["locked", "busy"])

        # Nothing committed was lost along the way, and the file still works.
        conn = sqlite3.connect(good)
        done = conn.execute("SELECT count(*) FROM executions WHERE status = 'SUCCEEDED'").fetchone()[0]
        conn.close()
        assert done == 20, done
        again = run(stepflow, good, definition, "e3")
        assert again.returncode == 0 and '"ok":true' in again.stdout, again
    print("database file errors: all clear, nothing lost")


if __name__ == "__main__":
    main()
