package verify

import (
	"path"
	"sort"
	"strconv"
	"strings"
)

// LineRange is lines From..To (1-based, inclusive) of File, a slash-separated
// path relative to the workspace.
type LineRange struct {
	File string `json:"file"`
	From int    `json:"from"`
	To   int    `json:"to"`
	// Lines, in DiffCoverage's uncovered ranges, counts the statement lines
	// in the range (comments and braces between them are not counted).
	Lines int `json:"lines,omitempty"`
}

// String renders "file.go line 7" or "file.go lines 40–52".
func (r LineRange) String() string {
	if r.From == r.To {
		return r.File + " line " + strconv.Itoa(r.From)
	}
	return r.File + " lines " + strconv.Itoa(r.From) + "–" + strconv.Itoa(r.To)
}

// ChangedLines parses a unified diff (git diff -U0 output; more context
// works too, context lines are skipped) into the added or modified line
// ranges of the new files, merged and sorted. Deleted files and pure
// deletions contribute nothing. Paths are read from the "+++ b/…" headers:
// produce the diff with git's default a/ b/ prefixes (--dst-prefix=b/ when
// the user's config may change them).
func ChangedLines(unifiedDiff string) []LineRange {
	var out []LineRange
	file := ""
	lines := strings.Split(unifiedDiff, "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		switch {
		case strings.HasPrefix(line, "+++ "):
			file = diffPath(strings.TrimPrefix(line, "+++ "))
		case strings.HasPrefix(line, "@@ "):
			oldCount, newStart, newCount, ok := hunkHeader(line)
			if !ok {
				continue
			}
			// Walk the hunk body by its counts, so a removed line that
			// happens to start with "--- " or an added one with "+++ " is
			// never taken for a header.
			newLine := newStart
			for oldLeft, newLeft := oldCount, newCount; (oldLeft > 0 || newLeft > 0) && i+1 < len(lines); {
				i++
				body := lines[i]
				switch {
				case strings.HasPrefix(body, "\\"): // "\ No newline at end of file"
					continue
				case strings.HasPrefix(body, "-"):
					oldLeft--
					continue
				case strings.HasPrefix(body, "+"):
					newLeft--
					if file != "" {
						out = append(out, LineRange{File: file, From: newLine, To: newLine})
					}
				default: // context
					oldLeft--
					newLeft--
				}
				newLine++
			}
		}
	}
	return mergeRanges(out)
}

func mergeRanges(in []LineRange) []LineRange {
	sort.Slice(in, func(i, j int) bool {
		if in[i].File != in[j].File {
			return in[i].File < in[j].File
		}
		return in[i].From < in[j].From
	})
	var out []LineRange
	for _, r := range in {
		if k := len(out) - 1; k >= 0 && out[k].File == r.File && r.From <= out[k].To+1 {
			out[k].To = max(out[k].To, r.To)
			continue
		}
		out = append(out, r)
	}
	return out
}

// hunkHeader reads "@@ -a[,b] +c[,d] @@": the old count and the new start
// and count (a count left out is 1).
func hunkHeader(line string) (oldCount, newStart, newCount int, ok bool) {
	f := strings.Fields(line)
	if len(f) < 3 || !strings.HasPrefix(f[1], "-") || !strings.HasPrefix(f[2], "+") {
		return 0, 0, 0, false
	}
	_, oldCount, ok1 := rangeSpec(f[1][1:])
	newStart, newCount, ok2 := rangeSpec(f[2][1:])
	return oldCount, newStart, newCount, ok1 && ok2
}

func rangeSpec(s string) (start, count int, ok bool) {
	startText, countText, hasCount := strings.Cut(s, ",")
	start, err := strconv.Atoi(startText)
	if err != nil {
		return 0, 0, false
	}
	count = 1
	if hasCount {
		if count, err = strconv.Atoi(countText); err != nil {
			return 0, 0, false
		}
	}
	return start, count, true
}

// diffPath reads the path of a "+++ " header: "" for /dev/null, the b/
// prefix dropped, git's C-style quoting undone, a trailing tab-separated
// timestamp (diff -u) dropped.
func diffPath(s string) string {
	if strings.HasPrefix(s, `"`) {
		if unq, err := strconv.Unquote(s); err == nil {
			s = unq
		}
	} else if i := strings.IndexByte(s, '\t'); i >= 0 {
		s = s[:i]
	}
	if s == "/dev/null" {
		return ""
	}
	return strings.TrimPrefix(s, "b/")
}

// Generated says whether a file is vendored or generated, so a change to
// it deserves less trust (the generator or the vendoring tool owns it): a
// vendor/ or node_modules/ directory, *_generated.go, *.pb.go, *.pb.gw.go,
// or a "Code generated … DO NOT EDIT." line at the top of head (the file's
// first bytes; nil when unknown).
func Generated(file string, head []byte) bool {
	file = strings.TrimPrefix(path.Clean("/"+file), "/")
	for _, dir := range []string{"vendor/", "node_modules/", "third_party/"} {
		if strings.HasPrefix(file, dir) || strings.Contains(file, "/"+dir) {
			return true
		}
	}
	base := path.Base(file)
	for _, suffix := range []string{"_generated.go", ".pb.go", ".pb.gw.go", "_gen.go", ".gen.go"} {
		if strings.HasSuffix(base, suffix) {
			return true
		}
	}
	text := string(head)
	if len(text) > 4096 {
		text = text[:4096]
	}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		line = strings.TrimLeft(line, "/#*-; ")
		if strings.HasPrefix(line, "Code generated ") && strings.HasSuffix(line, "DO NOT EDIT.") {
			return true
		}
	}
	return false
}
