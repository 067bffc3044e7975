package catalog

import (
	"strings"

	"github.com/paved-dev/paved"
)

// DefaultNamespace is the namespace of an entity or reference that names none.
const DefaultNamespace = "default"

// Ref is a parsed entity reference. Its parts keep the case they were written
// in; String gives the lower-cased key that paved.Entity.Ref holds, because
// Backstage compares references case-insensitively.
type Ref struct {
	Kind      string
	Namespace string
	Name      string
}

// String returns the full, lower-cased reference "kind:namespace/name".
func (r Ref) String() string {
	return FormatRef(r.Kind, r.Namespace, r.Name)
}

// FormatRef returns the key of an entity: "kind:namespace/name", lower-cased.
// An empty namespace means the default one.
func FormatRef(kind, namespace, name string) string {
	if namespace == "" {
		namespace = DefaultNamespace
	}
	// strings.ToLower returns its argument unchanged (no allocation) when it
	// is already lower-case ASCII, the common case.
	return strings.ToLower(kind + ":" + namespace + "/" + name)
}

// ParseRef parses a Backstage entity reference, "[kind:][namespace/]name".
// A missing kind is defaultKind (the per-field default: "group" for
// spec.owner, "api" for spec.providesApis, …); a missing namespace is
// defaultNamespace, which callers set to the referring entity's namespace,
// or "default" when that is empty too. It returns an EINVALID *paved.Error
// when a part is empty or holds characters Backstage does not allow, or when
// the kind is missing and there is no default.
func ParseRef(s, defaultKind, defaultNamespace string) (Ref, error) {
	// Backstage's rule: the kind ends at the first ':', the namespace at the
	// first '/', and a '/' before the ':' means there is no kind.
	colon := strings.IndexByte(s, ':')
	slash := strings.IndexByte(s, '/')
	if slash >= 0 && slash < colon {
		colon = -1
	}
	var r Ref
	hasKind, hasNamespace := colon >= 0, slash >= 0
	if hasKind {
		r.Kind = s[:colon]
	}
	if hasNamespace {
		r.Namespace = s[colon+1 : slash]
	}
	r.Name = s[max(colon+1, slash+1):]
	if (hasKind && r.Kind == "") || (hasNamespace && r.Namespace == "") || r.Name == "" {
		return Ref{}, paved.Errorf(paved.EINVALID,
			"entity reference %q is not of the form [kind:][namespace/]name: no part may be empty", s)
	}
	if !hasKind {
		if defaultKind == "" {
			return Ref{}, paved.Errorf(paved.EINVALID,
				"entity reference %q has no kind; write it with one, e.g. \"component:%s\"", s, r.Name)
		}
		r.Kind = defaultKind
	}
	if !hasNamespace {
		r.Namespace = defaultNamespace
		if r.Namespace == "" {
			r.Namespace = DefaultNamespace
		}
	}
	if !ValidKind(r.Kind) {
		return Ref{}, paved.Errorf(paved.EINVALID,
			"entity reference %q has an invalid kind %q: a kind is a letter followed by letters or digits", s, r.Kind)
	}
	// References are compared case-insensitively, so a namespace written in
	// upper case still names the lower-case namespace.
	if !ValidNamespace(strings.ToLower(r.Namespace)) {
		return Ref{}, paved.Errorf(paved.EINVALID,
			"entity reference %q has an invalid namespace %q: use up to 63 letters, digits and '-', starting and ending with a letter or digit", s, r.Namespace)
	}
	if !ValidName(r.Name) {
		return Ref{}, paved.Errorf(paved.EINVALID,
			"entity reference %q has an invalid name %q: use 1–63 characters [a-zA-Z0-9] with '-', '_' or '.' between them", s, r.Name)
	}
	return r, nil
}

// ValidName reports whether s is a valid metadata.name: 1–63 characters,
// [a-zA-Z0-9] at both ends and [-_.a-zA-Z0-9] in between, as Backstage
// (and Kubernetes) require.
func ValidName(s string) bool {
	if len(s) == 0 || len(s) > 63 || !isAlnum(s[0]) || !isAlnum(s[len(s)-1]) {
		return false
	}
	for i := 1; i < len(s)-1; i++ {
		if c := s[i]; !isAlnum(c) && c != '-' && c != '_' && c != '.' {
			return false
		}
	}
	return true
}

// ValidNamespace reports whether s is a valid metadata.namespace: a DNS
// label of at most 63 lower-case letters, digits and '-', with a letter or
// digit at both ends.
func ValidNamespace(s string) bool {
	if len(s) == 0 || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// ValidKind reports whether s can be a kind: a letter followed by letters or
// digits, at most 63 characters.
func ValidKind(s string) bool {
	if len(s) == 0 || len(s) > 63 || !isLetter(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isAlnum(s[i]) {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }
func isAlnum(c byte) bool  { return isLetter(c) || (c >= '0' && c <= '9') }
