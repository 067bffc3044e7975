package fleet

import (
	"fmt"
	"sort"
	"strings"
)

// goVariant is a small, self-contained package with a real test. Go
// repositories must build and pass `go test ./...` with the standard library
// only, so every variant here is compiled by the package's tests.
type goVariant struct {
	pkg      string
	src      string // after the package clause
	test     string // test functions
	imports  []string
	tImports []string // test imports
	// handler is the body of the service's HTTP handler; it may use w, r,
	// fmt and the package. handlerImports are extra imports it needs.
	handler        string
	handlerImports []string
}

func goVariants() []goVariant {
	return []goVariant{
		{
			pkg:     "money",
			imports: []string{"fmt"},
			src: `// Sum adds amounts in cents.
func Sum(cents []int64) int64 {
	var total int64
	for _, c := range cents {
		total += c
	}
	return total
}

// Format renders cents as a decimal amount with two places, because
// floating point would round invoices wrongly.
func Format(cents int64) string {
	sign := ""
	if cents < 0 {
		sign = "-"
		cents = -cents
	}
	return fmt.Sprintf("%s%d.%02d", sign, cents/100, cents%100)
}
`,
			test: `func TestFormat(t *testing.T) {
	tests := []struct {
		cents int64
		want  string
	}{
		{0, "0.00"},
		{5, "0.05"},
		{1999, "19.99"},
		{-250, "-2.50"},
	}
	for _, tt := range tests {
		if got := Format(tt.cents); got != tt.want {
			t.Errorf("Format(%d) = %q, want %q", tt.cents, got, tt.want)
		}
	}
}

func TestSum(t *testing.T) {
	if got := Sum([]int64{1999, 1, -500}); got != 1500 {
		t.Fatalf("Sum = %d, want 1500", got)
	}
	if got := Sum(nil); got != 0 {
		t.Fatalf("Sum(nil) = %d, want 0", got)
	}
}
`,
			tImports: []string{"testing"},
			handler:  "fmt.Fprintln(w, PKG.Format(PKG.Sum([]int64{1999, 501})))",
		},
		{
			pkg:     "slug",
			imports: []string{"strings", "unicode"},
			src: `// Make turns a title into a URL-safe slug: lower case, words joined by
// single dashes, everything else dropped.
func Make(title string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(title) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		default:
			dash = true
		}
	}
	return b.String()
}
`,
			test: `func TestMake(t *testing.T) {
	tests := map[string]string{
		"Hello, World!":      "hello-world",
		"  spaced   out  ":   "spaced-out",
		"Already-a-slug":     "already-a-slug",
		"":                   "",
		"Q3 report (final)":  "q3-report-final",
	}
	for in, want := range tests {
		if got := Make(in); got != want {
			t.Errorf("Make(%q) = %q, want %q", in, got, want)
		}
	}
}
`,
			tImports: []string{"testing"},
			handler:  `fmt.Fprintln(w, PKG.Make(r.URL.Query().Get("title")))`,
		},
		{
			pkg:     "config",
			imports: []string{"fmt", "strconv"},
			src: `// Config is the service configuration, read from the environment.
type Config struct {
	Port     int
	LogLevel string
}

// Load reads the configuration through getenv, so tests need not touch the
// process environment.
func Load(getenv func(string) string) (Config, error) {
	c := Config{Port: 8080, LogLevel: "info"}
	if v := getenv("PORT"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p <= 0 || p > 65535 {
			return Config{}, fmt.Errorf("invalid PORT %q", v)
		}
		c.Port = p
	}
	if v := getenv("LOG_LEVEL"); v != "" {
		c.LogLevel = v
	}
	return c, nil
}
`,
			test: `func TestLoad(t *testing.T) {
	env := map[string]string{"PORT": "9000"}
	c, err := Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 9000 || c.LogLevel != "info" {
		t.Fatalf("Load = %+v", c)
	}
}

func TestLoadRejectsBadPort(t *testing.T) {
	_, err := Load(func(k string) string {
		if k == "PORT" {
			return "eighty"
		}
		return ""
	})
	if err == nil {
		t.Fatal("Load accepted PORT=eighty")
	}
}
`,
			tImports:       []string{"testing"},
			handler:        "cfg, err := PKG.Load(os.Getenv)\n\tif err != nil {\n\t\thttp.Error(w, err.Error(), http.StatusInternalServerError)\n\t\treturn\n\t}\n\tfmt.Fprintf(w, \"log level %s\\n\", cfg.LogLevel)",
			handlerImports: []string{},
		},
		{
			pkg:     "ratelimit",
			imports: []string{"sync", "time"},
			src: `// Limiter is a token bucket. The clock is passed in so tests are exact.
type Limiter struct {
	mu     sync.Mutex
	rate   float64 // tokens per second
	burst  float64
	tokens float64
	last   time.Time
}

// New returns a full bucket.
func New(rate, burst float64) *Limiter {
	return &Limiter{rate: rate, burst: burst, tokens: burst}
}

// Allow takes a token if one is available at now.
func (l *Limiter) Allow(now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.last.IsZero() {
		l.tokens += now.Sub(l.last).Seconds() * l.rate
		if l.tokens > l.burst {
			l.tokens = l.burst
		}
	}
	l.last = now
	if l.tokens < 1 {
		return false
	}
	l.tokens--
	return true
}
`,
			test: `func TestAllow(t *testing.T) {
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	l := New(1, 2)
	if !l.Allow(start) || !l.Allow(start) {
		t.Fatal("a full bucket refused")
	}
	if l.Allow(start) {
		t.Fatal("an empty bucket allowed")
	}
	if !l.Allow(start.Add(time.Second)) {
		t.Fatal("the bucket did not refill")
	}
}
`,
			tImports:       []string{"testing", "time"},
			handler:        "if !limiter.Allow(time.Now()) {\n\t\thttp.Error(w, \"slow down\", http.StatusTooManyRequests)\n\t\treturn\n\t}\n\tfmt.Fprintln(w, \"ok\")",
			handlerImports: []string{"time"},
		},
		{
			pkg:     "retry",
			imports: []string{"time"},
			src: `// Backoff returns how long to wait before the given attempt (0-based):
// exponential from base, capped at limit.
func Backoff(attempt int, base, limit time.Duration) time.Duration {
	d := base
	for i := 0; i < attempt; i++ {
		d *= 2
		if d >= limit {
			return limit
		}
	}
	return d
}
`,
			test: `func TestBackoff(t *testing.T) {
	tests := []struct {
		attempt int
		want    time.Duration
	}{
		{0, 100 * time.Millisecond},
		{1, 200 * time.Millisecond},
		{3, 800 * time.Millisecond},
		{10, 5 * time.Second},
	}
	for _, tt := range tests {
		if got := Backoff(tt.attempt, 100*time.Millisecond, 5*time.Second); got != tt.want {
			t.Errorf("Backoff(%d) = %v, want %v", tt.attempt, got, tt.want)
		}
	}
}
`,
			tImports:       []string{"testing", "time"},
			handler:        `fmt.Fprintln(w, PKG.Backoff(3, 100*time.Millisecond, 5*time.Second))`,
			handlerImports: []string{"time"},
		},
	}
}

// goFile assembles a Go source file with sorted imports.
func goFile(doc, pkg string, imports []string, body string) string {
	var sb strings.Builder
	if doc != "" {
		sb.WriteString(doc)
	}
	fmt.Fprintf(&sb, "package %s\n", pkg)
	std, local := splitImports(imports)
	if len(std)+len(local) > 0 {
		sb.WriteString("\nimport (\n")
		for _, i := range std {
			fmt.Fprintf(&sb, "\t%q\n", i)
		}
		if len(std) > 0 && len(local) > 0 {
			sb.WriteString("\n")
		}
		for _, i := range local {
			fmt.Fprintf(&sb, "\t%q\n", i)
		}
		sb.WriteString(")\n")
	}
	sb.WriteString("\n" + body)
	return sb.String()
}

func splitImports(imports []string) (std, local []string) {
	seen := map[string]bool{}
	for _, i := range imports {
		if seen[i] {
			continue
		}
		seen[i] = true
		if strings.Contains(strings.SplitN(i, "/", 2)[0], ".") {
			local = append(local, i)
		} else {
			std = append(std, i)
		}
	}
	sort.Strings(std)
	sort.Strings(local)
	return std, local
}

func (b *builder) goFiles() {
	rp := b.rp
	goLine := []string{"1.21", "1.22", "1.22.5", "1.23", "1.23.4", "1.24", "1.24.2", "1.25"}[b.r.IntN(8)]
	b.info.LanguageVersion = goLine
	module := modulePrefix + rp.name
	b.add("go.mod", "", fmt.Sprintf("module %s\n\ngo %s\n", module, goLine))
	b.testCmd = "go test ./..."
	b.buildCmd = "go build ./..."

	vs := goVariants()
	v := vs[b.r.IntN(len(vs))]

	// Libraries keep their API at the root; services keep it internal.
	pkgDir, pkgName, importPath := "internal/"+v.pkg, v.pkg, module+"/internal/"+v.pkg
	if rp.kind == kindLibrary {
		pkgDir, pkgName = "", strings.ReplaceAll(rp.name, "-", "")
	}
	join := func(dir, file string) string {
		if dir == "" {
			return file
		}
		return dir + "/" + file
	}
	b.add(join(pkgDir, v.pkg+".go"), "", goFile(fmt.Sprintf("// Package %s is part of %s.\n", pkgName, rp.name), pkgName, v.imports, v.src))

	test := v.test
	tImports := append([]string(nil), v.tImports...)
	if rp.flaky {
		// Deliberately flaky: fails whenever the nanosecond clock is odd,
		// so about half the runs fail. fleet.json lists it.
		name := "TestWarmupWithinDeadline"
		test += `
// TestWarmupWithinDeadline is timing dependent and fails at random.
func TestWarmupWithinDeadline(t *testing.T) {
	start := time.Now()
	if start.UnixNano()%2 == 1 {
		t.Fatalf("warm-up missed its deadline (started at %v)", start)
	}
}
`
		tImports = append(tImports, "time")
		pkgPath := "./" + pkgDir
		if pkgDir == "" {
			pkgPath = "."
		}
		b.flaky = &Flaky{Repo: rp.name, Package: pkgPath, Test: name}
	}
	b.add(join(pkgDir, v.pkg+"_test.go"), "", goFile("", pkgName, tImports, test))

	if rp.ioutil {
		b.goIOUtil(module)
	}
	if rp.kind == kindService {
		b.goMainPackage(module, v, importPath)
	}
}

// goIOUtil writes internal/storage using io/ioutil functions that have exact
// os/io equivalents — and, for readDir repositories, ioutil.ReadDir whose
// []os.FileInfo result a migration to os.ReadDir must adapt.
func (b *builder) goIOUtil(module string) {
	type fn struct{ src, test string }
	all := []fn{
		{`// Load reads a whole file.
func Load(path string) ([]byte, error) {
	return ioutil.ReadFile(path)
}
`, ""},
		{`// Save writes a whole file, replacing it.
func Save(path string, data []byte) error {
	return ioutil.WriteFile(path, data, 0o644)
}
`, ""},
		{`// ReadString drains r into a string.
func ReadString(r io.Reader) (string, error) {
	b, err := ioutil.ReadAll(r)
	return string(b), err
}
`, `func TestReadString(t *testing.T) {
	got, err := ReadString(strings.NewReader("payload"))
	if err != nil || got != "payload" {
		t.Fatalf("ReadString = %q, %v", got, err)
	}
}
`},
		{`// Scratch makes a temporary directory for work in progress.
func Scratch(prefix string) (string, error) {
	return ioutil.TempDir("", prefix)
}
`, `func TestScratch(t *testing.T) {
	dir, err := Scratch("storage-test-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Fatalf("Scratch made %q: %v", dir, err)
	}
}
`},
		{`// Body wraps a string as a request body.
func Body(s string) io.ReadCloser {
	return ioutil.NopCloser(strings.NewReader(s))
}
`, `func TestBody(t *testing.T) {
	rc := Body("hello")
	defer rc.Close()
	got, err := ReadAllBody(rc)
	if err != nil || got != 5 {
		t.Fatalf("Body read %d bytes, %v", got, err)
	}
}
`},
		{`// ReadAllBody counts and discards what r holds.
func ReadAllBody(r io.Reader) (int64, error) {
	return io.Copy(ioutil.Discard, r)
}
`, ""},
	}
	// Load and Save always come together, and Body's test needs ReadAllBody.
	chosen := []int{0, 1}
	for i := 2; i < len(all); i++ {
		if b.r.chance(0.5) {
			chosen = append(chosen, i)
		}
	}
	if contains(chosen, 4) && !contains(chosen, 5) {
		chosen = append(chosen, 5)
	}
	var src, tests strings.Builder
	imports := []string{"io/ioutil"}
	tImports := []string{"path/filepath", "testing"}
	tests.WriteString(`func TestSaveLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.txt")
	if err := Save(path, []byte("v1")); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil || string(got) != "v1" {
		t.Fatalf("Load = %q, %v", got, err)
	}
}
`)
	for _, i := range chosen {
		src.WriteString("\n" + all[i].src)
		if all[i].test != "" {
			tests.WriteString("\n" + all[i].test)
		}
		switch i {
		case 2:
			imports = append(imports, "io")
			tImports = append(tImports, "strings")
		case 3:
			tImports = append(tImports, "os")
		case 4:
			imports = append(imports, "io", "strings")
		case 5:
			imports = append(imports, "io")
		}
	}
	if b.rp.readDir {
		imports = append(imports, "os")
		if b.r.chance(0.5) {
			src.WriteString(`
// DirSize adds up the sizes of the regular files directly in dir.
func DirSize(dir string) (int64, error) {
	infos, err := ioutil.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	return totalSize(infos), nil
}

func totalSize(infos []os.FileInfo) int64 {
	var n int64
	for _, fi := range infos {
		if fi.Mode().IsRegular() {
			n += fi.Size()
		}
	}
	return n
}
`)
			tests.WriteString(`
func TestDirSize(t *testing.T) {
	dir := t.TempDir()
	if err := Save(filepath.Join(dir, "a"), []byte("abc")); err != nil {
		t.Fatal(err)
	}
	if err := Save(filepath.Join(dir, "b"), []byte("de")); err != nil {
		t.Fatal(err)
	}
	got, err := DirSize(dir)
	if err != nil || got != 5 {
		t.Fatalf("DirSize = %d, %v; want 5", got, err)
	}
}
`)
		} else {
			imports = append(imports, "time")
			src.WriteString(`
// Newest returns the most recently modified entry in dir.
func Newest(dir string) (string, error) {
	var infos []os.FileInfo
	infos, err := ioutil.ReadDir(dir)
	if err != nil {
		return "", err
	}
	var name string
	var newest time.Time
	for _, fi := range infos {
		if fi.ModTime().After(newest) {
			newest, name = fi.ModTime(), fi.Name()
		}
	}
	return name, nil
}
`)
			tests.WriteString(`
func TestNewest(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "old")
	if err := Save(old, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := Save(filepath.Join(dir, "new"), []byte("y")); err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-time.Hour)
	if err := os.Chtimes(old, past, past); err != nil {
		t.Fatal(err)
	}
	got, err := Newest(dir)
	if err != nil || got != "new" {
		t.Fatalf("Newest = %q, %v; want new", got, err)
	}
}
`)
			tImports = append(tImports, "os", "time")
		}
	}
	b.add("internal/storage/storage.go", "", goFile("// Package storage keeps files on local disk.\n", "storage", imports, strings.TrimPrefix(src.String(), "\n")))
	b.add("internal/storage/storage_test.go", "", goFile("", "storage", tImports, tests.String()))
}

func contains(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func (b *builder) goMainPackage(module string, v goVariant, importPath string) {
	rp := b.rp
	dir := ""
	b.goMain = "."
	if b.r.chance(0.5) {
		dir = "cmd/" + rp.name + "/"
		b.goMain = "./cmd/" + rp.name
	}
	resource := strings.SplitN(rp.name, "-", 2)[0]
	handlerName := "handle" + strings.ToUpper(resource[:1]) + resource[1:]
	imports := []string{"fmt", "log", "net/http", "os", importPath}
	imports = append(imports, v.handlerImports...)
	body := strings.ReplaceAll(v.handler, "PKG.", v.pkg+".")
	readBody := rp.ioutil && b.r.chance(0.6)
	if readBody {
		imports = append(imports, "io/ioutil")
		body = "if r.Method == http.MethodPost {\n\t\tpayload, err := ioutil.ReadAll(r.Body)\n\t\tif err != nil {\n\t\t\thttp.Error(w, err.Error(), http.StatusBadRequest)\n\t\t\treturn\n\t\t}\n\t\tfmt.Fprintf(w, \"received %d bytes\\n\", len(payload))\n\t\treturn\n\t}\n\t" + body
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, `func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "%d"
	}
	log.Printf("%s listening on :%%s", port)
	log.Fatal(http.ListenAndServe(":"+port, newMux()))
}

`, b.port, rp.name)
	if v.pkg == "ratelimit" {
		sb.WriteString("// limiter is shared by every request, as the bucket must be.\nvar limiter = ratelimit.New(50, 100)\n\n")
	}
	fmt.Fprintf(&sb, `func newMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/v1/%s", %s)
	return mux
}

func %s(w http.ResponseWriter, r *http.Request) {
	%s
}
`, resource, handlerName, handlerName, body)
	b.add(dir+"main.go", "", goFile(fmt.Sprintf("// Command %s serves the %s API over HTTP.\n", rp.name, resource), "main", imports, sb.String()))

	if b.r.chance(0.6) {
		b.add(dir+"main_test.go", "", goFile("", "main", []string{"net/http", "net/http/httptest", "strings", "testing"}, `func TestHealthz(t *testing.T) {
	srv := httptest.NewServer(newMux())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 64)
	n, _ := resp.Body.Read(buf)
	sb.Write(buf[:n])
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(sb.String()) != "ok" {
		t.Fatalf("GET /healthz = %d %q", resp.StatusCode, sb.String())
	}
}
`))
	}
}
