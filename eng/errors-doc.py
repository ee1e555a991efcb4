#!/usr/bin/env python3
"""Regenerates docs/errors.md from the /// <summary> of every code in src/Kbuild.Tasks/Diagnostics/ErrorCodes*.cs.
Run it after adding a code; tests/Kbuild.Tasks.Tests/ErrorCatalogTests checks that every code is documented."""
import glob, os, re

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
pattern = re.compile(r'((?:\s*///[^\n]*\n)+)\s*public const string (\w+) = "(KB\d{4})";')
entries = []
for path in sorted(glob.glob(os.path.join(root, "src/Kbuild.Tasks/Diagnostics/ErrorCodes*.cs"))):
    for doc, name, code in pattern.findall(open(path, encoding="utf-8").read()):
        text = " ".join(line.strip()[3:].strip() for line in doc.strip().splitlines())
        text = re.sub(r"</?summary>", "", text).strip().replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        text = re.sub(r'<see cref="([^"]+)"\s*/>', r"`\1`", text)
        entries.append((code, name, text))

areas = {"00": "Input files and ELF", "01": "Archives", "02": "Kallsyms tables", "03": "Linking and patching",
         "04": "Kernel build tree", "05": "SDK and task parameters"}
out = ["# Error and warning codes", "",
       "Every diagnostic Kbuild.Sdk reports carries one of these codes and, where one file is to blame, that file.",
       "Generated from `src/Kbuild.Tasks/Diagnostics/ErrorCodes*.cs` by `eng/errors-doc.py`.", ""]
current = None
for code, name, text in sorted(entries):
    if code[2:4] != current:
        current = code[2:4]
        out += [f"## {areas.get(current, 'Other')} (KB{current}xx)", ""]
    out += [f"### {code} {name}", "", text, ""]
open(os.path.join(root, "docs/errors.md"), "w", encoding="utf-8").write("\n".join(out))
print(f"docs/errors.md: {len(entries)} codes")
