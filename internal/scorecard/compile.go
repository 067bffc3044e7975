package scorecard

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/checker"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/ext"

	"github.com/paved-dev/paved/internal/facts"
)

// Cost limits. CEL's cost is roughly one unit per operation; a list or a
// string of unknown size is assumed to hold assumedSize elements when a
// check is compiled. A check whose worst case exceeds maxEstimatedCost is
// rejected at load (two nested loops over fact lists are; one is not).
// Only loops can run long on large facts, so an expression with a loop is
// evaluated under a deadline of maxLoopTime, checked every
// interruptEvery iterations. (CEL's run-time cost tracker is not used: it
// costs a third of every evaluation and grows with the square of a loop's
// length.)
const (
	assumedSize      = 1000
	maxEstimatedCost = 1_000_000
	maxLoopTime      = 250 * time.Millisecond
	interruptEvery   = 64
)

// serviceFields are the names checks may read from service.
var serviceFields = []string{"ref", "name", "kind", "namespace", "type", "lifecycle", "owner", "system", "language", "tier", "tags"}

var (
	envOnce      sync.Once
	sharedEnv    *cel.Env
	sharedEnvErr error
)

// env is the one CEL environment every check compiles in: facts and
// service as maps of dynamic values (the facts compiler below checks the
// paths a check reads against the facts schema), the strings, lists and
// sets extensions, and version_at_least for "Go 1.22 or newer" checks.
func env() (*cel.Env, error) {
	envOnce.Do(func() {
		sharedEnv, sharedEnvErr = cel.NewEnv(
			cel.Variable("facts", cel.MapType(cel.StringType, cel.DynType)),
			cel.Variable("service", cel.MapType(cel.StringType, cel.DynType)),
			cel.CrossTypeNumericComparisons(true),
			ext.Strings(), ext.Lists(), ext.Sets(),
			cel.Function("version_at_least",
				cel.Overload("version_at_least_string_string", []*cel.Type{cel.StringType, cel.StringType}, cel.BoolType,
					cel.BinaryBinding(func(have, want ref.Val) ref.Val {
						return types.Bool(compareVersions(string(have.(types.String)), string(want.(types.String))) >= 0)
					}))),
		)
	})
	return sharedEnv, sharedEnvErr
}

// compareVersions compares dotted versions numerically ("1.9" < "1.22"),
// ignoring a leading "v" or "go" and anything after a '-' or '+'. A
// version that does not start with a number sorts first.
func compareVersions(a, b string) int {
	parse := func(v string) []int {
		// Leading operators and prefixes: ">=20", "^18.2", "go1.22", "v1.2".
		v = strings.TrimLeftFunc(v, func(r rune) bool { return r < '0' || r > '9' })
		if i := strings.IndexAny(v, "-+ "); i >= 0 {
			v = v[:i]
		}
		var out []int
		for _, part := range strings.Split(v, ".") {
			n, err := strconv.Atoi(part)
			if err != nil {
				break
			}
			out = append(out, n)
		}
		return out
	}
	pa, pb := parse(a), parse(b)
	if len(pa) == 0 || len(pb) == 0 {
		return compareInts(len(pa), len(pb))
	}
	for i := range max(len(pa), len(pb)) {
		var x, y int
		if i < len(pa) {
			x = pa[i]
		}
		if i < len(pb) {
			y = pb[i]
		}
		if c := compareInts(x, y); c != 0 {
			return c
		}
	}
	return 0
}

func compareInts(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// compiled is one checked and planned CEL expression.
type compiled struct {
	prog cel.Program
	// paths are the facts it reads, as written ("dockerfile.user",
	// "has:dockerfile" for a presence test, `go.requires["x/y"]`), with
	// their segments for looking values up.
	paths []string
	segs  map[string][]string
	// loops: the expression iterates (all, exists, map, filter…).
	loops bool
	// wholeNamespaces are namespaces used whole (facts.x, not has() and
	// not a field of it); wholeFacts: facts itself is used other than
	// through a namespace (facts[k], size(facts)). Both tell grading to
	// decode more than the paths.
	wholeNamespaces []string
	wholeFacts      bool
	// serviceFields are the fields of service it reads; wholeService:
	// service itself is used other than by a field (service[k]).
	serviceFields []string
	wholeService  bool
}

func hasLoop(a *celast.AST) bool {
	found := false
	celast.PostOrderVisit(a.Expr(), celast.NewExprVisitor(func(e celast.Expr) {
		found = found || e.Kind() == celast.ComprehensionKind
	}))
	return found
}

// compile checks one expression: it must parse, type-check to a bool, read
// only facts the schema knows, and stay under the cost limit.
func compile(e *cel.Env, c *Check, field, src string, pos position, pushed []string) (*compiled, *Problem) {
	bad := func(loc celLocation, format string, args ...any) *Problem {
		line, col := pos.fileLocation(loc)
		return &Problem{File: c.File, Line: line, Column: col, Check: c.ID, Expr: caret(src, loc), Message: field + ": " + fmt.Sprintf(format, args...)}
	}
	parsed, iss := e.Compile(src)
	if iss != nil && iss.Err() != nil {
		errs := iss.Errors()
		loc := celLocation{line: 1}
		if len(errs) > 0 && errs[0].Location != nil {
			loc = celLocation{line: errs[0].Location.Line(), col: errs[0].Location.Column()}
		}
		msg := iss.Err().Error()
		if len(errs) > 0 {
			msg = errs[0].Message
		}
		return nil, bad(loc, "%s", msg)
	}
	if t := parsed.OutputType(); !t.IsExactType(cel.BoolType) && !t.IsExactType(cel.DynType) {
		return nil, bad(celLocation{line: 1}, "must be a bool (true passes), but it is a %s", t)
	}
	native := parsed.NativeRep()
	out := &compiled{segs: map[string][]string{}}
	if p := out.collectPaths(native, pushed, func(id int64, format string, args ...any) *Problem {
		l := native.SourceInfo().GetStartLocation(id)
		return bad(celLocation{line: l.Line(), col: l.Column()}, format, args...)
	}); p != nil {
		return nil, p
	}
	est, err := checker.Cost(native, sizeEstimator{})
	if err != nil {
		return nil, bad(celLocation{line: 1}, "cost: %v", err)
	}
	if est.Max > maxEstimatedCost {
		return nil, bad(celLocation{line: 1}, "too expensive: worst case %d cost units with lists of %d items, over the limit of %d; avoid nested loops over lists",
			est.Max, assumedSize, maxEstimatedCost)
	}
	out.loops = hasLoop(native)
	opts := []cel.ProgramOption{cel.EvalOptions(cel.OptOptimize)}
	if out.loops {
		opts = append(opts, cel.InterruptCheckFrequency(interruptEvery))
	}
	prog, err := e.Program(parsed, opts...)
	if err != nil {
		return nil, bad(celLocation{line: 1}, "%v", err)
	}
	out.prog = prog
	slices.Sort(out.paths)
	out.paths = slices.Compact(out.paths)
	return out, nil
}

type celLocation struct{ line, col int } // 1-based line, 0-based column

// fileLocation maps a location inside an expression to the file's line and
// 1-based column.
func (p position) fileLocation(l celLocation) (int, int) {
	if p.line == 0 {
		return 0, 0
	}
	if p.block {
		return p.line + l.line, l.col + 1
	}
	if l.line <= 1 {
		return p.line, p.col + l.col
	}
	return p.line + l.line - 1, l.col + 1
}

// caret shows the expression's line at loc with a caret under the column.
func caret(src string, l celLocation) string {
	lines := strings.Split(src, "\n")
	if l.line < 1 || l.line > len(lines) {
		return strings.TrimSpace(src)
	}
	line := lines[l.line-1]
	col := min(max(l.col, 0), len(line))
	return line + "\n    " + strings.Repeat(" ", col) + "^"
}

// sizeEstimator assumes every list, map and string a check reads from the
// facts holds assumedSize elements.
type sizeEstimator struct{}

func (sizeEstimator) EstimateSize(checker.AstNode) *checker.SizeEstimate {
	return &checker.SizeEstimate{Min: 0, Max: assumedSize}
}

func (sizeEstimator) EstimateCallCost(string, string, *checker.AstNode, []checker.AstNode) *checker.CallEstimate {
	return nil
}

// collectPaths records every chain of selections from facts or service
// that is not itself the operand of a longer one, and rejects a chain
// the schema does not know.
func (c *compiled) collectPaths(a *celast.AST, pushed []string, bad func(id int64, format string, args ...any) *Problem) *Problem {
	inner := map[int64]bool{}
	var chains []celast.Expr
	factsIdents, factsChains := 0, 0
	serviceIdents, serviceChains := 0, 0
	celast.PostOrderVisit(a.Expr(), celast.NewExprVisitor(func(e celast.Expr) {
		switch e.Kind() {
		case celast.IdentKind:
			switch e.AsIdent() {
			case "facts":
				factsIdents++
			case "service":
				serviceIdents++
			}
		case celast.SelectKind:
			inner[e.AsSelect().Operand().ID()] = true
			chains = append(chains, e)
		case celast.CallKind:
			if call := e.AsCall(); call.FunctionName() == "_[_]" && len(call.Args()) == 2 {
				if _, ok := stringLiteral(call.Args()[1]); ok {
					inner[call.Args()[0].ID()] = true
					chains = append(chains, e)
				}
			}
		}
	}))
	for _, e := range chains {
		if inner[e.ID()] && !(e.Kind() == celast.SelectKind && e.AsSelect().IsTestOnly()) {
			continue
		}
		root, segs, testOnly := chainOf(e)
		if root == "" {
			continue // a selection from a comprehension variable
		}
		if p := validate(root, segs, pushed, e.ID(), bad); p != nil {
			return p
		}
		if root == "service" && len(segs) > 0 {
			serviceChains++
			c.serviceFields = append(c.serviceFields, segs[0])
		}
		if root != "facts" {
			continue
		}
		factsChains++
		if len(segs) == 1 && !testOnly {
			c.wholeNamespaces = append(c.wholeNamespaces, segs[0])
		}
		display := displayPath(segs)
		if testOnly {
			display = "has:" + display
		}
		c.paths = append(c.paths, display)
		c.segs[display] = segs
	}
	c.wholeFacts = factsIdents != factsChains
	c.wholeService = serviceIdents != serviceChains
	return nil
}

// chainOf returns the variable a chain of selections starts from ("" when
// it starts elsewhere) and the selected names.
func chainOf(e celast.Expr) (root string, segs []string, testOnly bool) {
	if e.Kind() == celast.SelectKind {
		testOnly = e.AsSelect().IsTestOnly()
	}
	for {
		switch e.Kind() {
		case celast.SelectKind:
			segs = append(segs, e.AsSelect().FieldName())
			e = e.AsSelect().Operand()
		case celast.CallKind:
			call := e.AsCall()
			key, ok := stringLiteral(call.Args()[1])
			if call.FunctionName() != "_[_]" || !ok {
				return "", nil, false
			}
			segs = append(segs, key)
			e = call.Args()[0]
		case celast.IdentKind:
			slices.Reverse(segs)
			return e.AsIdent(), segs, testOnly
		default:
			return "", nil, false
		}
	}
}

func stringLiteral(e celast.Expr) (string, bool) {
	if e.Kind() != celast.LiteralKind {
		return "", false
	}
	s, ok := e.AsLiteral().(types.String)
	return string(s), ok
}

func displayPath(segs []string) string {
	var b strings.Builder
	for i, s := range segs {
		if i > 0 && isIdent(s) {
			b.WriteByte('.')
		}
		if isIdent(s) {
			b.WriteString(s)
		} else {
			b.WriteString("[" + strconv.Quote(s) + "]")
		}
	}
	return b.String()
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if r != '_' && !(r >= 'a' && r <= 'z') && !(r >= 'A' && r <= 'Z') && !(i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// validate checks a chain against the schema of its root variable.
func validate(root string, segs, pushed []string, id int64, bad func(id int64, format string, args ...any) *Problem) *Problem {
	switch root {
	case "service":
		if len(segs) > 0 && !slices.Contains(serviceFields, segs[0]) {
			return bad(id, "service has no field %q: it has %s", segs[0], strings.Join(serviceFields, ", "))
		}
		return nil
	case "facts":
	default:
		return nil
	}
	if len(segs) == 0 {
		return nil
	}
	ns := segs[0]
	t, collected := facts.Types[ns]
	if !collected {
		if slices.Contains(pushed, ns) {
			return nil
		}
		return bad(id, "unknown fact namespace %q: collected namespaces are %s; declare a pushed namespace under pushed_facts",
			ns, strings.Join(sortedNamespaces(), ", "))
	}
	walked := "facts." + ns
	for _, seg := range segs[1:] {
		next, ok, open := field(t, seg)
		if open {
			return nil
		}
		if !ok {
			return bad(id, "%s has no field %q: it has %s", walked, seg, strings.Join(fieldNames(t), ", "))
		}
		t = next
		walked += "." + seg
	}
	return nil
}

func sortedNamespaces() []string {
	out := make([]string, 0, len(facts.Types))
	for ns := range facts.Types {
		out = append(out, ns)
	}
	slices.Sort(out)
	return out
}

var timeType = reflect.TypeFor[time.Time]()

// field returns the type of t's field or map value named name; open means
// anything may follow (a value of interface type, or a list: selections
// after a list are CEL type errors at run time, not schema questions).
func field(t reflect.Type, name string) (next reflect.Type, ok, open bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		if t == timeType {
			return nil, false, false
		}
		for i := range t.NumField() {
			f := t.Field(i)
			if jsonName(f) == name {
				return f.Type, true, false
			}
		}
		return nil, false, false
	case reflect.Map:
		return t.Elem(), true, false
	case reflect.Interface, reflect.Slice, reflect.Array:
		return nil, false, true
	}
	return nil, false, false
}

func fieldNames(t reflect.Type) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t == timeType {
		return []string{"(none: it is a " + t.Kind().String() + ")"}
	}
	var out []string
	for i := range t.NumField() {
		if n := jsonName(t.Field(i)); n != "" && n != "-" {
			out = append(out, n)
		}
	}
	return out
}

func jsonName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	tag := f.Tag.Get("json")
	name, _, _ := strings.Cut(tag, ",")
	if name == "" {
		return f.Name
	}
	return name
}
