package recipe

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

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/campaign/sandbox"
)

func runIn(t *testing.T, ws *sandbox.Workspace, command, timeout string) (Report, error) {
	t.Helper()
	return Apply(context.Background(), Env{WS: ws}, paved.RecipeStep{Run: command, Timeout: timeout})
}

func TestRun(t *testing.T) {
	t.Setenv("PAVED_TEST_SECRET", "hunter2")
	ws, dir := workspace(t, map[string]string{"a.txt": "a\n", "gone.txt": "x\n"})
	rep, err := runIn(t, ws, "echo hello; echo b > b.txt; echo A > a.txt; rm gone.txt; env", "")
	if err != nil {
		t.Fatalf("run: %v\n%s", err, rep.Log)
	}
	if !strings.Contains(rep.Log, "hello") || strings.Contains(rep.Log, "hunter2") {
		t.Errorf("Log (the environment must be scrubbed):\n%s", rep.Log)
	}
	if !equalStrings(rep.Changed, []string{"a.txt", "b.txt", "gone.txt"}) {
		t.Errorf("Changed = %v", rep.Changed)
	}
	if readFile(t, dir, "b.txt") != "b\n" {
		t.Error("b.txt not written")
	}
}

func TestRunFails(t *testing.T) {
	ws, _ := workspace(t, nil)
	rep, err := runIn(t, ws, "echo broken >&2; exit 3", "")
	if err == nil || !strings.Contains(err.Error(), "exit status 3") || !strings.Contains(rep.Log, "broken") {
		t.Fatalf("err %v, log %q", err, rep.Log)
	}
}

func TestRunTimeoutKillsTheCommand(t *testing.T) {
	ws, dir := workspace(t, nil)
	start := time.Now()
	rep, err := runIn(t, ws, "sleep 30 & echo $! > pid; echo started; wait", "200ms")
	if err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s", d)
	}
	if !strings.Contains(rep.Log, "started") {
		t.Errorf("Log = %q", rep.Log)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(readFile(t, dir, "pid")))
	if err != nil {
		t.Fatal(err)
	}
	// The sleep was in the command's process group, so it died too.
	deadline := time.Now().Add(2 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatal("the command's child survived the timeout")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRunRefusesWhatItLeaves(t *testing.T) {
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret")
	if err := os.WriteFile(secret, []byte("s"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, command string
		outside       bool // the error wraps sandbox.ErrOutside
	}{
		{"an absolute symlink out", "ln -s " + secret + " leak", true},
		{"a relative symlink out", "mkdir -p a/b && ln -s ../../.. a/b/up", true},
		{"a symlink out through another", "ln -s . self && ln -s self/../.. up", true},
		{"a hard link", "ln " + secret + " hard", true},
		{"a file over the limit", "head -c 5000 /dev/zero > big.bin", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws, _ := workspace(t, nil)
			ws.MaxFileSize = 4096
			_, err := runIn(t, ws, tt.command, "")
			if err == nil {
				t.Fatal("no error")
			}
			if errors.Is(err, sandbox.ErrOutside) != tt.outside {
				t.Fatalf("err = %v", err)
			}
		})
	}
	t.Run("what was already there is not the step's", func(t *testing.T) {
		ws, dir := workspace(t, nil)
		if err := os.Symlink(secret, filepath.Join(dir, "committed-link")); err != nil {
			t.Fatal(err)
		}
		if rep, err := runIn(t, ws, "ln -s a.txt inside && echo x > a.txt", ""); err != nil || !equalStrings(rep.Changed, []string{"a.txt", "inside"}) {
			t.Fatalf("err %v, changed %v", err, rep.Changed)
		}
	})
}

// TestWritesThroughSymlinksOut: every builtin that writes refuses a path
// whose symlink leads out of the workspace, and nothing outside changes.
func TestWritesThroughSymlinksOut(t *testing.T) {
	outside := t.TempDir()
	target := filepath.Join(outside, "values.yaml")
	original := "a: 1\nFROM golang:1.19\n"
	if err := os.WriteFile(target, []byte(original), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		link string // workspace path of the symlink
		to   string
		step paved.RecipeStep
	}{
		{"yaml-set on a symlinked file", "values.yaml", target,
			step("yaml-set", map[string]any{"file": "values.yaml", "path": "a", "value": 2})},
		{"yaml-set through a glob", "deploy/values.yaml", target,
			step("yaml-set", map[string]any{"file": "deploy/*.yaml", "path": "a", "value": 2})},
		{"dockerfile-base on a symlinked Dockerfile", "Dockerfile", target,
			step("dockerfile-base", map[string]any{"match": "golang", "to": "1.23"})},
		{"add-file into a symlinked directory", "docs", outside,
			step("add-file", map[string]any{"path": "docs/OWNERS", "template": "x\n"})},
		{"add-file over a symlinked file", "OWNERS", target,
			step("add-file", map[string]any{"path": "OWNERS", "template": "x\n", "overwrite": true})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws, dir := workspace(t, map[string]string{"README.md": "x"})
			link := filepath.Join(dir, filepath.FromSlash(tt.link))
			if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(tt.to, link); err != nil {
				t.Fatal(err)
			}
			_, err := Apply(context.Background(), Env{WS: ws, Vars: testVars()}, tt.step)
			if !errors.Is(err, sandbox.ErrOutside) {
				t.Fatalf("err = %v, want one wrapping sandbox.ErrOutside", err)
			}
			if got, _ := os.ReadFile(target); string(got) != original {
				t.Fatalf("the file outside changed: %q", got)
			}
			if entries, _ := os.ReadDir(outside); len(entries) != 1 {
				t.Fatalf("something was created outside: %v", entries)
			}
		})
	}
}

func TestWorkspaceStat(t *testing.T) {
	ws, dir := workspace(t, map[string]string{"a/b.txt": "x"})
	for name, to := range map[string]string{"in": "a/b.txt", "dangling": "nope", "abs": "/etc/hostname", "up": "../x"} {
		if err := os.Symlink(to, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	if fi, err := ws.Stat("in"); err != nil || fi.Size() != 1 {
		t.Errorf("Stat(in) = %v, %v", fi, err)
	}
	if _, err := ws.Stat("dangling"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Stat(dangling) = %v", err)
	}
	for _, name := range []string{"abs", "up", "../x"} {
		if _, err := ws.Stat(name); !errors.Is(err, sandbox.ErrOutside) {
			t.Errorf("Stat(%s) = %v, want ErrOutside", name, err)
		}
	}
}
