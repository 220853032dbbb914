#!/usr/bin/python3
"""The element's contract is written once, and what is written is true.

The element's documentation (the SECTION block and the property doc
comments of gst-plugin/gstilgnet.c) is the one place that describes its
properties, its `ilgnet` message and its summary tags; gst-inspect-1.0
shows the properties with a one-line blurb each, and README.md's element
section has a table of them.  This test holds the three to the element as
it runs:

1. properties: the ones gst-inspect-1.0 lists are exactly README's table
   (names, defaults, the values of enums) and each has a doc comment;
   each blurb is one short line (details belong in the doc comment);
2. the `ilgnet` message: the fields the element posts (with and without
   crop=multi) and their types are exactly those the SECTION block lists,
   and README names the same fields;
3. the summary tags: the ones the element sends at EOS are those the
   SECTION block and README name.

usage: test_contract.py TINY_MODEL GSTILGNET_C README_MD
"""
import re
import subprocess
import sys

# gst-inspect-1.0 lists these for every element: not the element's own.
INHERITED = {"name", "parent", "qos"}
# A blurb is a line of gst-inspect-1.0's table, not a paragraph.
MAX_BLURB = 72
# The SECTION block's type names, as GstStructure prints them.
TYPES = {"guint64": "guint64", "gdouble": "double", "gint": "int",
         "gboolean": "boolean", "string": "string"}


def fail(msg):
    sys.exit("FAIL: " + msg)


def run(args):
    r = subprocess.run(args, capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        fail("%s failed:\n%s%s" % (" ".join(args), r.stdout, r.stderr))
    return r.stdout


def inspect_properties():
    """{name: (blurb, flags, default, enum nicks)} as gst-inspect-1.0
    shows them."""
    out = run(["gst-inspect-1.0", "ilgnet"])
    props, name = {}, None
    section = out.split("Element Properties:", 1)[1]
    for line in section.splitlines():
        m = re.match(r"^  ([a-z][a-z0-9-]*)\s*: (.*)$", line)
        if m:
            name = m.group(1)
            props[name] = [m.group(2), "", None, []]
        elif name and re.match(r"^\s+\(\d+\): ", line):
            props[name][3].append(line.split(":", 1)[1].split()[0])
        elif name and line.strip().startswith("flags:"):
            props[name][1] = line.strip()
        elif name and "Default:" in line:
            d = line.split("Default:", 1)[1].strip()
            # Enums: 'Default: 0, "async"': the nick is what users type.
            e = re.match(r'^-?\d+, "(.*)"$', d)
            props[name][2] = e.group(1) if e else d.strip('"')
    return {k: tuple(v) for k, v in props.items() if k not in INHERITED}


def readme_table(readme):
    """{name: (default cell, whole row)} of README's property table."""
    text = readme.split("| property | default | meaning |", 1)[1]
    rows = {}
    for line in text.splitlines()[2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        names = re.findall(r"`([a-z-]+)`", cells[0])
        defaults = [d.strip() for d in cells[1].split(",")]
        if len(defaults) != len(names):
            defaults = defaults * len(names)
        rows.update((n, (d, line)) for n, d in zip(names, defaults))
    return rows


def same_default(cell, default, flags):
    cell = cell.replace("`", "")
    if cell == "read-only":
        return "writable" not in flags
    if default == "null":
        return cell in ("—", "the default model")
    first = cell.split()[0]
    try:
        return float(first) == float(default)
    except ValueError:
        return first == default


def check_properties(source, readme):
    props = inspect_properties()
    table = readme_table(readme)
    if set(props) != set(table):
        fail("README's property table %s, the element %s" %
             (sorted(table), sorted(props)))
    for name, (blurb, flags, default, nicks) in sorted(props.items()):
        cell, row = table[name]
        if not same_default(cell, default, flags):
            fail("property %s: README says default %r, the element %r" %
                 (name, cell, default))
        missing = [n for n in nicks if "`%s`" % n not in row]
        if missing:
            fail("property %s: README's row does not name the values %s" %
                 (name, missing))
        if len(blurb) > MAX_BLURB:
            fail("property %s: the blurb is %d characters, not one line of "
                 "at most %d (details go in its doc comment): %r" %
                 (name, len(blurb), MAX_BLURB, blurb))
        if "GstIlgnet:%s:" % name not in source:
            fail("property %s has no doc comment (GstIlgnet:%s:)" %
                 (name, name))
    print("properties: %d, as README's table" % len(props))


def section_doc(source):
    """The SECTION block as the Markdown it is, comment marks taken off."""
    block = source.split("SECTION:element-ilgnet", 1)[1].split("*/", 1)[0]
    return "\n".join(re.sub(r"^ \*( |$)", "", l) for l in block.splitlines())


def documented_message(doc):
    """{field: type} of the SECTION block's `ilgnet` message list, and the
    fields it says come only with crop=multi."""
    block = doc.split("## The `ilgnet` message", 1)[1].split("\n## ")[0]
    fields, multi = {}, set()
    for item in re.split(r"^\* ", block, flags=re.M)[1:]:
        item = " ".join(item.split())
        names = re.findall(r"`([a-z-]+)`", item.split("(")[0])
        t = re.search(r"\((\w+)\)", item)
        if not names or not t or t.group(1) not in TYPES:
            fail("cannot read the message doc line %r" % item)
        for n in names:
            fields[n] = TYPES[t.group(1)]
            if "only with `crop=multi`" in item:
                multi.add(n)
    return fields, multi


def posted_messages(model, crop):
    out = run(["gst-launch-1.0", "-m", "videotestsrc", "num-buffers=10", "!",
               "ilgnet", "model=" + model, "threads=1", "mode=sync",
               "crop=" + crop, "!", "fakesink"])
    msgs = [m for m in out.splitlines() if "(element): ilgnet," in m]
    if not msgs:
        fail("no ilgnet message with crop=%s" % crop)
    body = msgs[0].split("(element): ilgnet,", 1)[1]
    return dict(re.findall(r"([a-z][a-z-]*)=\((\w+)\)", body)), out


def check_message(model, doc, readme):
    fields, multi = documented_message(doc)
    plain, out = posted_messages(model, "squash")
    full, _ = posted_messages(model, "multi")
    want_plain = {k: v for k, v in fields.items() if k not in multi}
    if plain != want_plain:
        fail("message without crop=multi: posted %s, documented %s" %
             (plain, want_plain))
    if full != fields:
        fail("message with crop=multi: posted %s, documented %s" %
             (full, fields))
    para = readme.split("**the `ilgnet` message**", 1)[1].split("\n- ")[0]
    named = set(re.findall(r"`([a-z]+(?:-[a-z]+)*)`", para))
    named.discard("crop=multi")
    if not set(fields) <= named:
        fail("README's message paragraph misses %s" %
             sorted(set(fields) - named))
    print("message: %d fields (%d with crop=multi only), as documented" %
          (len(fields), len(multi)))
    return out


def check_tags(doc, readme, out):
    sent = set(re.findall(r"(ilgnet-[a-z-]+)\\*=", out))
    item = doc.split("at end of stream, a tag event", 1)[1].split("\n* ")[0]
    documented = set(re.findall(r"`(ilgnet-[a-z-]+)`", item))
    para = readme.split("**tags at EOS**", 1)[1].split("\n- ")[0]
    in_readme = set(re.findall(r"`(ilgnet-[a-z-]+)`", para))
    if not sent or sent != documented or sent != in_readme:
        fail("tags sent %s, documented %s, in README %s" %
             (sorted(sent), sorted(documented), sorted(in_readme)))
    print("tags: %s" % ", ".join(sorted(sent)))


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    model = sys.argv[1]
    source = open(sys.argv[2], encoding="utf-8").read()
    readme = open(sys.argv[3], encoding="utf-8").read()
    check_properties(source, readme)
    doc = section_doc(source)
    out = check_message(model, doc, readme)
    check_tags(doc, readme, out)


if __name__ == "__main__":
    main()
