package catalog

import (
	"strings"
	"testing"

	"github.com/paved-dev/paved"
)

func TestParseRef(t *testing.T) {
	tests := []struct {
		in, defKind, defNS string
		want               Ref
		wantErr            string // substring of the message; "" means no error
	}{
		{in: "team-a", defKind: "group", want: Ref{"group", "default", "team-a"}},
		{in: "team-a", defKind: "group", defNS: "pay", want: Ref{"group", "pay", "team-a"}},
		{in: "user:jane", defKind: "group", want: Ref{"user", "default", "jane"}},
		{in: "user:ops/jane", defKind: "group", defNS: "pay", want: Ref{"user", "ops", "jane"}},
		{in: "ops/jane", defKind: "user", defNS: "pay", want: Ref{"user", "ops", "jane"}},
		{in: "Component:Default/My_Service.v2", want: Ref{"Component", "Default", "My_Service.v2"}},
		// A '/' before the ':' means there is no kind; the ':' is then in the name.
		{in: "ns/a:b", defKind: "group", wantErr: "invalid name"},
		{in: "nokind", wantErr: "has no kind"},
		{in: "", defKind: "group", wantErr: "no part may be empty"},
		{in: ":x", defKind: "group", wantErr: "no part may be empty"},
		{in: "group:/x", wantErr: "no part may be empty"},
		{in: "group:ns/", wantErr: "no part may be empty"},
		{in: "/x", defKind: "group", wantErr: "no part may be empty"},
		{in: "group:", wantErr: "no part may be empty"},
		{in: "gr oup:x", wantErr: "invalid kind"},
		{in: "1group:x", wantErr: "invalid kind"},
		{in: "group:n_s/x", wantErr: "invalid namespace"},
		{in: "group:-ns/x", wantErr: "invalid namespace"},
		{in: "group:x y", wantErr: "invalid name"},
		{in: "group:-x", wantErr: "invalid name"},
		{in: "group:x.", wantErr: "invalid name"},
		{in: "group:" + strings.Repeat("a", 64), wantErr: "invalid name"},
		{in: "group:" + strings.Repeat("a", 63), want: Ref{"group", "default", strings.Repeat("a", 63)}},
		{in: "group:a/b/c", wantErr: "invalid name"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseRef(tt.in, tt.defKind, tt.defNS)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("ParseRef(%q) = %+v, want error containing %q", tt.in, got, tt.wantErr)
				}
				if paved.ErrorCode(err) != paved.EINVALID || !strings.Contains(paved.ErrorMessage(err), tt.wantErr) {
					t.Fatalf("ParseRef(%q) error = %v, want EINVALID containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseRef(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("ParseRef(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestFormatRef(t *testing.T) {
	tests := []struct{ kind, ns, name, want string }{
		{"Component", "default", "payments", "component:default/payments"},
		{"Group", "", "Team-A", "group:default/team-a"},
		{"API", "Pay", "Orders.V1", "api:pay/orders.v1"},
	}
	for _, tt := range tests {
		if got := FormatRef(tt.kind, tt.ns, tt.name); got != tt.want {
			t.Errorf("FormatRef(%q, %q, %q) = %q, want %q", tt.kind, tt.ns, tt.name, got, tt.want)
		}
	}
	r, err := ParseRef("Group:Pay/Team-A", "", "")
	if err != nil || r.String() != "group:pay/team-a" {
		t.Errorf("ParseRef(...).String() = %q, %v", r.String(), err)
	}
}

func TestValidName(t *testing.T) {
	for s, want := range map[string]bool{
		"a": true, "a-b": true, "a_b.c": true, "a--b": true, "A1": true,
		"": false, "-a": false, "a-": false, "a b": false, "a/b": false, "é": false,
		strings.Repeat("x", 63): true, strings.Repeat("x", 64): false,
	} {
		if got := ValidName(s); got != want {
			t.Errorf("ValidName(%q) = %v, want %v", s, got, want)
		}
	}
	for s, want := range map[string]bool{
		"default": true, "a-1": true, "A": false, "a_b": false, "-a": false, "": false,
	} {
		if got := ValidNamespace(s); got != want {
			t.Errorf("ValidNamespace(%q) = %v, want %v", s, got, want)
		}
	}
}
