#!/usr/bin/python3
"""The end of tag-folder.sh: OUTDIR/summary.csv and a table sorted by mean
score (best first, failures last), from the rows the jobs printed
(tag-one.py), the latest row of each video of this run's list.

  summary.py LIST RESULTS SUMMARY_CSV

LIST: this run's videos (video TAB outbase a line); RESULTS: the jobs' rows,
of this run and, after --resume, of the interrupted one.  Exits 1 when a
video failed or has no row (its job never ran to the end).
"""
import csv
import sys

COLS = ["status", "video", "mean", "max", "best_s", "scored", "messages",
        "length_s", "tag_s", "error"]


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: summary.py LIST RESULTS SUMMARY_CSV")
    with open(sys.argv[1]) as f:
        videos = [line.rstrip("\n").split("\t")[0] for line in f if line.strip()]
    latest = {}
    try:
        with open(sys.argv[2]) as f:
            for line in f:
                r = dict(zip(COLS, line.rstrip("\n").split("\t")))
                if len(r) == len(COLS):
                    latest[r["video"]] = r
    except FileNotFoundError:
        pass
    rows = []
    for v in videos:
        rows.append(latest.get(v) or dict(
            zip(COLS, ["failed", v, "-", "-", "-", "0", "-", "-", "-",
                       "not tagged (job interrupted)"])))

    def key(r):
        return -float(r["mean"]) if r["status"] != "failed" else float("inf")
    rows.sort(key=key)

    with open(sys.argv[3], "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLS)
        w.writeheader()
        w.writerows(rows)

    print("%-6s %-6s %-8s %-6s %-8s %-7s %s" % ("mean", "max", "best_s",
                                              "frames", "length_s", "tag_s",
                                              "video"))
    for r in rows:
        video = r["video"]
        if r["status"] == "failed":
            video += " (FAILED: %s)" % r["error"][:70]
        elif r["status"] == "skipped":
            video += " (already tagged)"
        print("%-6s %-6s %-8s %-6s %-8s %-7s %s" % (
            r["mean"], r["max"], r["best_s"], r["scored"], r["length_s"],
            r["tag_s"], video))
    failed = sum(r["status"] == "failed" for r in rows)
    print("%d videos: %d tagged, %d already tagged, %d failed; summary in %s"
          % (len(rows), sum(r["status"] == "ok" for r in rows),
             sum(r["status"] == "skipped" for r in rows), failed,
             sys.argv[3]))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
