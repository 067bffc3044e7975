// Package sandbox runs a campaign's commands and file writes confined to a
// workspace: commands get a timeout that kills their whole process group, a
// scrubbed environment and bounded output; files are read and written
// through os.Root, so no path — "..", an absolute name or a symlink — reaches
// outside the workspace.
package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// DefaultOutputLimit bounds the output a command may leave in its Result.
const DefaultOutputLimit = 1 << 20

// Passthrough names the environment variables a command inherits from paved
// (everything else is dropped): what a toolchain needs to find itself and
// its caches, nothing that carries credentials.
var Passthrough = []string{"PATH", "GOROOT", "GOPATH", "GOCACHE", "GOMODCACHE", "GOTOOLCHAIN",
	"GOPROXY", "GOFLAGS", "GONOSUMDB", "GOPRIVATE", "JAVA_HOME", "LANG", "TZ"}

// Command is one command to run in a workspace.
type Command struct {
	Dir     string        // the workspace; the command's working directory
	Shell   string        // run as `sh -c Shell` …
	Args    []string      // … or exactly these arguments
	Env     []string      // KEY=VALUE added to the scrubbed environment
	Timeout time.Duration // 0: no timeout beyond ctx
	// Scratch is HOME and TMPDIR for the command; empty: a fresh directory
	// removed afterwards.
	Scratch     string
	OutputLimit int // 0: DefaultOutputLimit
}

// Result is what a command did.
type Result struct {
	ExitCode int           `json:"exit_code"`
	Output   string        `json:"output"` // stdout and stderr interleaved, truncated at the limit
	Duration time.Duration `json:"duration"`
	TimedOut bool          `json:"timed_out"`
}

// OK says the command exited 0 in time.
func (r Result) OK() bool { return r.ExitCode == 0 && !r.TimedOut }

// Run runs c. The error is only for commands that could not start; a
// command that fails or times out is described by the Result.
func Run(ctx context.Context, c Command) (Result, error) {
	if c.Dir == "" {
		return Result{}, errors.New("sandbox: no workspace directory")
	}
	args := c.Args
	if c.Shell != "" {
		args = []string{"sh", "-c", c.Shell}
	}
	if len(args) == 0 {
		return Result{}, errors.New("sandbox: no command")
	}
	scratch := c.Scratch
	if scratch == "" {
		dir, err := os.MkdirTemp("", "paved-scratch-")
		if err != nil {
			return Result{}, err
		}
		defer os.RemoveAll(dir)
		scratch = dir
	}
	parent := ctx
	if c.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.Timeout)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Dir = c.Dir
	cmd.Env = Environ(scratch, c.Env)
	// A process group, so a timeout kills what the command started too
	// (a test binary under `go test`, a shell's children).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second
	limit := c.OutputLimit
	if limit <= 0 {
		limit = DefaultOutputLimit
	}
	// The output goes through a pipe paved owns rather than one os/exec
	// copies: a background child that inherited it would otherwise keep
	// Wait waiting. Here Wait returns when the command exits, its process
	// group is killed, and the pipe drains.
	pr, pw, err := os.Pipe()
	if err != nil {
		return Result{}, err
	}
	out := &limitedBuffer{limit: limit}
	cmd.Stdout, cmd.Stderr = pw, pw
	start := time.Now()
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		return Result{}, fmt.Errorf("sandbox: %s: %w", args[0], err)
	}
	pw.Close()
	drained := make(chan struct{})
	go func() {
		io.Copy(out, pr)
		close(drained)
	}()
	err = cmd.Wait()
	// Whatever the command left behind in its group dies with it.
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-drained:
	case <-time.After(2 * time.Second):
		// Something outside the group (it called setsid) holds the pipe.
		pr.Close()
		<-drained
	}
	pr.Close()
	res := Result{Output: out.String(), Duration: time.Since(start)}
	if ctx.Err() != nil {
		res.TimedOut = true
		res.ExitCode = -1
		if parent.Err() == nil && c.Timeout > 0 {
			res.Output += fmt.Sprintf("\n[paved: killed after %s]\n", c.Timeout)
		} else {
			res.Output += fmt.Sprintf("\n[paved: killed: %v]\n", context.Cause(parent))
		}
		return res, nil
	}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		res.ExitCode = exit.ExitCode()
	default:
		return res, fmt.Errorf("sandbox: %s: %w", args[0], err)
	}
	return res, nil
}

// Environ is the scrubbed environment: the passthrough variables from paved's
// own, HOME and TMPDIR in scratch, then extra.
func Environ(scratch string, extra []string) []string {
	env := []string{"HOME=" + scratch, "TMPDIR=" + scratch, "GIT_TERMINAL_PROMPT=0", "CI=true"}
	for _, name := range Passthrough {
		if v, ok := os.LookupEnv(name); ok {
			env = append(env, name+"="+v)
		}
	}
	return append(env, extra...)
}

type limitedBuffer struct {
	buf       bytes.Buffer
	limit     int
	truncated bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.limit - b.buf.Len(); room < len(p) {
		if room > 0 {
			b.buf.Write(p[:room])
		}
		b.truncated = true
		return len(p), nil
	}
	return b.buf.Write(p)
}

func (b *limitedBuffer) String() string {
	if b.truncated {
		return b.buf.String() + "\n[paved: output truncated]\n"
	}
	return b.buf.String()
}

// ErrOutside is returned for a path that leaves the workspace.
var ErrOutside = errors.New("path leaves the workspace")

// Workspace reads and writes files under one directory and nowhere else.
type Workspace struct {
	Dir  string
	root *os.Root
	// MaxFileSize bounds what a recipe may write to one file.
	MaxFileSize int64
}

// Open opens the workspace at dir. Close it when done.
func Open(dir string) (*Workspace, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return &Workspace{Dir: dir, root: root, MaxFileSize: 16 << 20}, nil
}

// Close releases the workspace's directory handle.
func (w *Workspace) Close() error { return w.root.Close() }

// clean checks a slash-separated relative path.
func clean(rel string) (string, error) {
	rel = filepath.ToSlash(rel)
	if rel == "" || strings.HasPrefix(rel, "/") || !fs.ValidPath(strings.TrimPrefix(rel, "./")) {
		return "", fmt.Errorf("%s: %w", rel, ErrOutside)
	}
	return filepath.FromSlash(strings.TrimPrefix(rel, "./")), nil
}

// wrap turns os.Root's escape error into ErrOutside, naming the path.
func wrap(rel string, err error) error {
	if err == nil {
		return nil
	}
	if strings.Contains(err.Error(), "path escapes from parent") {
		return fmt.Errorf("%s: %w (a symlink points out of the repository)", rel, ErrOutside)
	}
	return err
}

// ReadFile reads a file of the workspace.
func (w *Workspace) ReadFile(rel string) ([]byte, error) {
	name, err := clean(rel)
	if err != nil {
		return nil, err
	}
	data, err := w.root.ReadFile(name)
	return data, wrap(rel, err)
}

// WriteFile writes a file of the workspace, creating its directories.
// Writing through a symlink that leaves the workspace is refused.
func (w *Workspace) WriteFile(rel string, data []byte, perm fs.FileMode) error {
	name, err := clean(rel)
	if err != nil {
		return err
	}
	if int64(len(data)) > w.MaxFileSize {
		return fmt.Errorf("%s: %d bytes is over the %d-byte limit for a file a recipe writes", rel, len(data), w.MaxFileSize)
	}
	if dir := filepath.Dir(name); dir != "." {
		if err := w.root.MkdirAll(dir, 0o755); err != nil {
			return wrap(rel, err)
		}
	}
	return wrap(rel, w.root.WriteFile(name, data, perm))
}

// Lstat stats a workspace path without following a final symlink.
func (w *Workspace) Lstat(rel string) (fs.FileInfo, error) {
	name, err := clean(rel)
	if err != nil {
		return nil, err
	}
	fi, err := w.root.Lstat(name)
	return fi, wrap(rel, err)
}

// Stat stats a workspace path, following symlinks while they stay inside
// the workspace: one that leaves it (an absolute target, or too many "..")
// is ErrOutside, even when its target does not exist.
func (w *Workspace) Stat(rel string) (fs.FileInfo, error) {
	name, err := clean(rel)
	if err != nil {
		return nil, err
	}
	fi, err := w.root.Stat(name)
	return fi, wrap(rel, err)
}

// FS is the workspace as an fs.FS (for walking and globbing).
func (w *Workspace) FS() fs.FS { return w.root.FS() }
