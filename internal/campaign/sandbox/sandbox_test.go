package sandbox

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// alive reports whether pid is a running process; a zombie (dead but not
// yet reaped, as happens under a PID 1 that does not reap) counts as dead.
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name.
	s := string(stat)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z' && s[i+2] != 'X'
	}
	return true
}

// waitDead polls until pid is gone; a killed process is reaped
// asynchronously by its new parent.
func waitDead(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("process %d outlived its command", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func readPID(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the command did not record its child's pid: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatalf("pid file: %v", err)
	}
	return pid
}

func TestRunTimeoutKillsProcessGroup(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child.pid")
	// The shell starts a child that would outlive it, then hangs itself.
	res, err := Run(context.Background(), Command{
		Dir:     dir,
		Shell:   "sleep 60 & echo $! > child.pid; echo started; sleep 60",
		Timeout: 2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !res.TimedOut || res.OK() || res.ExitCode != -1 {
		t.Fatalf("want a timed-out result, got %+v", res)
	}
	// Generous: the point is that it did not wait for the 60 s sleeps.
	if res.Duration > 30*time.Second {
		t.Fatalf("Run returned after %s", res.Duration)
	}
	if !strings.Contains(res.Output, "started") || !strings.Contains(res.Output, "killed after 2s") {
		t.Fatalf("output lacks the command's output or the kill note: %q", res.Output)
	}
	waitDead(t, readPID(t, pidFile))
}

func TestRunKillsBackgroundChildrenOfACommandThatExited(t *testing.T) {
	dir := t.TempDir()
	// The command exits 0 at once but leaves a child holding its output
	// open: the child must not outlive the command, and the command's own
	// result must stand.
	res, err := Run(context.Background(), Command{
		Dir:   dir,
		Shell: "sleep 60 & echo $! > child.pid; echo done",
	})
	if err != nil {
		t.Fatalf("a command that exited 0 is not an error: %v", err)
	}
	if !res.OK() || res.TimedOut || !strings.Contains(res.Output, "done") {
		t.Fatalf("want exit 0 with its output, got %+v", res)
	}
	waitDead(t, readPID(t, filepath.Join(dir, "child.pid")))
}

func TestRunCanceledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(200 * time.Millisecond); cancel() }()
	res, err := Run(ctx, Command{Dir: t.TempDir(), Shell: "sleep 60"})
	if err != nil {
		t.Fatal(err)
	}
	if res.OK() || !res.TimedOut {
		t.Fatalf("a canceled command is not OK: %+v", res)
	}
	if strings.Contains(res.Output, "after 0s") {
		t.Fatalf("the note names a timeout that was never set: %q", res.Output)
	}
}

func TestRunExitCodeAndArgs(t *testing.T) {
	dir := t.TempDir()
	res, err := Run(context.Background(), Command{Dir: dir, Shell: "echo out; echo err >&2; exit 3"})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 3 || res.OK() || res.TimedOut {
		t.Fatalf("want exit 3, got %+v", res)
	}
	if !strings.Contains(res.Output, "out") || !strings.Contains(res.Output, "err") {
		t.Fatalf("stdout and stderr both belong in the output: %q", res.Output)
	}
	res, err = Run(context.Background(), Command{Dir: dir, Args: []string{"sh", "-c", "pwd"}})
	if err != nil || !res.OK() {
		t.Fatalf("args form: %+v, %v", res, err)
	}
	if got := strings.TrimSpace(res.Output); got != dir {
		t.Fatalf("working directory %q, want %q", got, dir)
	}
	if _, err := Run(context.Background(), Command{Dir: dir, Args: []string{"/nonexistent/binary"}}); err == nil {
		t.Fatal("a command that cannot start is an error")
	}
	if _, err := Run(context.Background(), Command{Shell: "true"}); err == nil {
		t.Fatal("a command without a workspace is an error")
	}
	if _, err := Run(context.Background(), Command{Dir: dir}); err == nil {
		t.Fatal("an empty command is an error")
	}
}

func TestRunScrubsEnvironment(t *testing.T) {
	t.Setenv("PAVED_TEST_SECRET", "hunter2")
	t.Setenv("GITHUB_TOKEN", "ghp_secret")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "aws_secret")
	t.Setenv("LANG", "C.UTF-8")
	scratch := t.TempDir()
	res, err := Run(context.Background(), Command{
		Dir:     t.TempDir(),
		Shell:   "env",
		Env:     []string{"EXTRA=1", "LANG=xx"},
		Scratch: scratch,
	})
	if err != nil || !res.OK() {
		t.Fatalf("%+v %v", res, err)
	}
	env := map[string]string{}
	for _, line := range strings.Split(res.Output, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			env[k] = v
		}
	}
	for _, secret := range []string{"PAVED_TEST_SECRET", "GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY"} {
		if _, ok := env[secret]; ok {
			t.Errorf("%s reached the command", secret)
		}
	}
	if strings.Contains(res.Output, "hunter2") || strings.Contains(res.Output, "ghp_secret") {
		t.Error("a secret value reached the command")
	}
	if env["HOME"] != scratch || env["TMPDIR"] != scratch {
		t.Errorf("HOME=%q TMPDIR=%q, want the scratch directory %q", env["HOME"], env["TMPDIR"], scratch)
	}
	if env["PATH"] == "" {
		t.Error("PATH is passed through so toolchains are found")
	}
	if env["EXTRA"] != "1" {
		t.Error("extra variables are added")
	}
	if env["LANG"] != "xx" {
		t.Errorf("an extra variable overrides a passed-through one: LANG=%q", env["LANG"])
	}
}

func TestRunFreshScratchIsRemoved(t *testing.T) {
	res, err := Run(context.Background(), Command{Dir: t.TempDir(), Shell: `echo "$HOME"; touch "$HOME/x"`})
	if err != nil || !res.OK() {
		t.Fatalf("%+v %v", res, err)
	}
	home := strings.TrimSpace(res.Output)
	if home == "" || home == os.Getenv("HOME") {
		t.Fatalf("HOME %q is not a fresh scratch directory", home)
	}
	if _, err := os.Stat(home); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the scratch directory %s outlived the command (%v)", home, err)
	}
}

func TestRunTruncatesOutput(t *testing.T) {
	res, err := Run(context.Background(), Command{
		Dir:         t.TempDir(),
		Shell:       "i=0; while [ $i -lt 2000 ]; do echo 0123456789; i=$((i+1)); done; echo THE-END",
		OutputLimit: 100,
	})
	if err != nil || !res.OK() {
		t.Fatalf("%+v %v", res, err)
	}
	if !strings.HasPrefix(res.Output, "0123456789\n") || !strings.Contains(res.Output, "[paved: output truncated]") {
		t.Fatalf("want the head of the output and a truncation note, got %q", res.Output)
	}
	if strings.Contains(res.Output, "THE-END") {
		t.Fatal("output beyond the limit was kept")
	}
	if n := len(strings.TrimSuffix(res.Output, "\n[paved: output truncated]\n")); n != 100 {
		t.Fatalf("kept %d bytes, want the 100-byte limit", n)
	}
}

func TestWorkspaceConfinesPaths(t *testing.T) {
	outside := t.TempDir()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("outside"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "secret"), filepath.Join(dir, "link-out")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "dir-out")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../"+filepath.Base(outside), filepath.Join(dir, "rel-out")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "inside"), []byte("in"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("inside", filepath.Join(dir, "link-in")); err != nil {
		t.Fatal(err)
	}
	w, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()

	for _, rel := range []string{"../x", "a/../../x", "/etc/passwd", filepath.Join(outside, "new"),
		"link-out", "dir-out/new", "dir-out/secret", "rel-out/new", ""} {
		err := w.WriteFile(rel, []byte("pwned"), 0o644)
		if !errors.Is(err, ErrOutside) {
			t.Errorf("WriteFile(%q) = %v, want ErrOutside", rel, err)
		}
	}
	for _, rel := range []string{"../x", "/etc/passwd", "link-out", "dir-out/secret"} {
		if _, err := w.ReadFile(rel); !errors.Is(err, ErrOutside) {
			t.Errorf("ReadFile(%q) = %v, want ErrOutside", rel, err)
		}
	}
	if data, _ := os.ReadFile(filepath.Join(outside, "secret")); string(data) != "outside" {
		t.Fatalf("a file outside the workspace changed: %q", data)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 1 {
		t.Fatalf("files were created outside the workspace: %v", entries)
	}

	// Inside the workspace everything works, symlinks that stay inside too.
	if err := w.WriteFile("a/b/c.txt", []byte("hi"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteFile("./d.txt", []byte("hi"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteFile("link-in", []byte("through"), 0o644); err != nil {
		t.Fatalf("a symlink inside the workspace: %v", err)
	}
	if data, err := w.ReadFile("inside"); err != nil || string(data) != "through" {
		t.Fatalf("read %q, %v", data, err)
	}
	if data, err := w.ReadFile("a/b/c.txt"); err != nil || string(data) != "hi" {
		t.Fatalf("read %q, %v", data, err)
	}
	if fi, err := w.Lstat("link-out"); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("Lstat of a symlink names the link itself: %v %v", fi, err)
	}
}

func TestWorkspaceMaxFileSize(t *testing.T) {
	dir := t.TempDir()
	w, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.MaxFileSize = 10
	if err := w.WriteFile("small", []byte("0123456789"), 0o644); err != nil {
		t.Fatalf("a file at the limit: %v", err)
	}
	err = w.WriteFile("big", []byte("0123456789X"), 0o644)
	if err == nil || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("a file over the limit: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "big")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a file over the limit was written")
	}
}
