// Package jsonenc encodes JSON fast, for paved's hot paths.
package jsonenc

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/paved-dev/paved"
)

// This encoder exists for speed: saving a fleet encodes tens of
// thousands of facts documents and entity fields, and encoding/json's
// reflection spent more time on them than SQLite spent storing them. It
// handles the shapes decoded JSON and the domain types take (maps with
// string keys, slices, strings, numbers, booleans, times) and falls back to
// encoding/json for anything else. Object keys are sorted, so equal values
// encode to equal bytes, which lets an upsert skip rows that did not change.

// Append appends the JSON encoding of v to b.
func Append(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return String(b, v), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case float64:
		return Float(b, v)
	case float32:
		return Float(b, float64(v))
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case int32:
		return strconv.AppendInt(b, int64(v), 10), nil
	case uint64:
		return strconv.AppendUint(b, v, 10), nil
	case time.Time:
		return Time(b, v)
	case []string:
		if v == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, s := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = String(b, s)
		}
		return append(b, ']'), nil
	case []any:
		if v == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = Append(b, e); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case map[string]string:
		return Object(b, v, func(b []byte, s string) ([]byte, error) { return String(b, s), nil })
	case map[string]any:
		return Object(b, v, Append)
	case paved.Facts:
		return Object(b, v, Fact)
	}
	out, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, out...), nil
}

// Fact appends f as encoding/json would, by its struct tags.
func Fact(b []byte, f paved.Fact) ([]byte, error) {
	var err error
	b = append(b, `{"namespace":`...)
	b = String(b, f.Namespace)
	b = append(b, `,"value":`...)
	if b, err = Append(b, f.Value); err != nil {
		return nil, err
	}
	b = append(b, `,"source":`...)
	b = String(b, f.Source)
	b = append(b, `,"collected_at":`...)
	if b, err = Time(b, f.CollectedAt); err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

func Time(b []byte, t time.Time) ([]byte, error) {
	if y := t.Year(); y < 0 || y > 9999 {
		return nil, fmt.Errorf("time %v: year outside of range [0,9999]", t)
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"'), nil
}

func Float(b []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("unsupported value: %v", f)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64), nil
}

// String appends s as a JSON string. Invalid UTF-8 becomes
// U+FFFD, as encoding/json does.
func String(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// Object appends m as a JSON object with sorted keys, each value
// encoded by value; a nil map is null, as encoding/json writes it.
func Object[M ~map[string]V, V any](b []byte, m M, value func([]byte, V) ([]byte, error)) ([]byte, error) {
	if m == nil {
		return append(b, "null"...), nil
	}
	b = append(b, '{')
	for i, k := range sortedKeys(m) {
		if i > 0 {
			b = append(b, ',')
		}
		b = String(b, k)
		b = append(b, ':')
		var err error
		if b, err = value(b, m[k]); err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
	}
	return append(b, '}'), nil
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
