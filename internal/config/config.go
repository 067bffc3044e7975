// Package config loads paved's configuration with one precedence rule for
// every setting: command-line flag > PAVED_* environment variable > config
// file > default. It remembers where each value came from so `paved config`
// can explain the effective configuration, with secrets redacted.
package config

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
)

// Config is the effective configuration.
type Config struct {
	DataDir    string   `yaml:"data_dir" json:"data_dir"`
	DB         string   `yaml:"db" json:"db"`
	Addr       string   `yaml:"addr" json:"addr"`
	Sources    []string `yaml:"sources" json:"sources"`
	OrgFiles   []string `yaml:"org_files" json:"org_files"`
	Standards  string   `yaml:"standards" json:"standards"`
	GatePolicy string   `yaml:"gate_policy" json:"gate_policy"`
	Admins     []string `yaml:"admins" json:"admins"`
	// TrustedProxyHeader names the header an authenticating proxy sets to
	// the user's name; honoured only from TrustedProxies. Off when empty.
	TrustedProxyHeader string        `yaml:"trusted_proxy_header" json:"trusted_proxy_header"`
	TrustedProxies     []string      `yaml:"trusted_proxies" json:"trusted_proxies"`
	LogLevel           string        `yaml:"log_level" json:"log_level"`
	LogFormat          string        `yaml:"log_format" json:"log_format"`
	ScanWorkers        int           `yaml:"scan_workers" json:"scan_workers"`
	ScanInterval       time.Duration `yaml:"scan_interval" json:"scan_interval"`
	JobWorkers         int           `yaml:"job_workers" json:"job_workers"`
	// Campaigns: targets run at once per process, the forge change
	// requests go to, and the GitHub API when that forge is github.
	CampaignWorkers int    `yaml:"campaign_workers" json:"campaign_workers"`
	Forge           string `yaml:"forge" json:"forge"`
	GitHubURL       string `yaml:"github_url" json:"github_url"`
	GitHubToken     string `yaml:"github_token" json:"github_token"`
	// BaseURL is where people reach this paved, for links in change
	// requests and feed events.
	BaseURL string `yaml:"base_url" json:"base_url"`
	// SessionTTL bounds a web session; SessionIdle, when positive, ends
	// one unused for that long.
	SessionTTL  time.Duration `yaml:"session_ttl" json:"session_ttl"`
	SessionIdle time.Duration `yaml:"session_idle" json:"session_idle"`

	// File is the config file that was read, if any.
	File string `yaml:"-" json:"file,omitempty"`
	// Origins says where each setting came from: "flag", "env PAVED_DB",
	// "file paved.yaml:3", "default".
	Origins map[string]string `yaml:"-" json:"origins"`
}

// Setting describes one configuration key.
type Setting struct {
	Key     string // as in the config file: "scan_workers"
	Flag    string // command-line flag: "scan-workers"
	Usage   string
	Default func(c *Config, getenv func(string) string) string
}

// Env returns the environment variable for a key: PAVED_SCAN_WORKERS.
func (s Setting) Env() string { return "PAVED_" + strings.ToUpper(s.Key) }

// Settings lists every key in the order `paved config` prints them.
var Settings = []Setting{
	{Key: "data_dir", Flag: "data-dir", Usage: "directory for the embedded database, generated fleets and caches", Default: func(_ *Config, getenv func(string) string) string { return defaultDataDir(getenv) }},
	{Key: "db", Flag: "db", Usage: "database URL: sqlite:///path/paved.db or postgres://user:pass@host/db", Default: func(c *Config, _ func(string) string) string {
		return "sqlite://" + filepath.Join(c.DataDir, "paved.db")
	}},
	{Key: "addr", Flag: "addr", Usage: "HTTP listen address for serve and demo", Default: func(*Config, func(string) string) string { return "127.0.0.1:8080" }},
	{Key: "sources", Flag: "source", Usage: "directories of git repositories to scan (repeatable; comma-separated in PAVED_SOURCES)", Default: func(*Config, func(string) string) string { return "" }},
	{Key: "org_files", Flag: "org-file", Usage: "extra files of Backstage Group/User entities (repeatable)", Default: func(*Config, func(string) string) string { return "" }},
	{Key: "standards", Flag: "standards", Usage: "directory of standards files (checks in CEL), e.g. a checkout of the standards repository; empty: the built-in standards", Default: func(*Config, func(string) string) string { return "" }},
	{Key: "gate_policy", Flag: "gate-policy", Usage: "YAML file of the deploy gate's policy per environment; empty: the built-in policy", Default: func(*Config, func(string) string) string { return "" }},
	{Key: "admins", Flag: "admin", Usage: "platform admins: user or group refs (repeatable; comma-separated in PAVED_ADMINS)", Default: func(*Config, func(string) string) string { return "" }},
	{Key: "trusted_proxy_header", Flag: "trusted-proxy-header", Usage: "header carrying the user name set by an authenticating proxy (off when empty)", Default: func(*Config, func(string) string) string { return "" }},
	{Key: "trusted_proxies", Flag: "trusted-proxy", Usage: "addresses (CIDR) the trusted proxy header is accepted from", Default: func(*Config, func(string) string) string { return "127.0.0.1/32,::1/128" }},
	{Key: "session_ttl", Flag: "session-ttl", Usage: "how long a web page session lasts", Default: func(*Config, func(string) string) string { return "12h" }},
	{Key: "session_idle", Flag: "session-idle", Usage: "end a web page session unused for this long (0: only session_ttl ends it)", Default: func(*Config, func(string) string) string { return "0" }},
	{Key: "log_level", Flag: "log-level", Usage: "debug, info, warn or error", Default: func(*Config, func(string) string) string { return "info" }},
	{Key: "log_format", Flag: "log-format", Usage: "text or json", Default: func(*Config, func(string) string) string { return "text" }},
	{Key: "scan_workers", Flag: "scan-workers", Usage: "repositories scanned in parallel (0: one more than the CPUs)", Default: func(*Config, func(string) string) string { return "0" }},
	{Key: "scan_interval", Flag: "scan-interval", Usage: "how often serve rescans the configured sources (0 disables)", Default: func(*Config, func(string) string) string { return "5m" }},
	{Key: "job_workers", Flag: "job-workers", Usage: "jobs a worker process runs at once", Default: func(*Config, func(string) string) string { return "8" }},
	{Key: "campaign_workers", Flag: "campaign-workers", Usage: "campaign targets a worker process runs at once (each runs a repository's build and tests)", Default: func(*Config, func(string) string) string { return "2" }},
	{Key: "forge", Flag: "forge", Usage: "where campaign change requests go: local (branches in the repositories, reviewed in paved) or github", Default: func(*Config, func(string) string) string { return "local" }},
	{Key: "github_url", Flag: "github-url", Usage: "GitHub API URL (GitHub Enterprise: https://HOST/api/v3/)", Default: func(*Config, func(string) string) string { return "https://api.github.com/" }},
	{Key: "github_token", Flag: "github-token", Usage: "GitHub token for the github forge (pull requests, statuses); redacted in paved config", Default: func(*Config, func(string) string) string { return "" }},
	{Key: "base_url", Flag: "base-url", Usage: "the URL people reach paved at, for links in change requests and feeds (default: http:// + addr)", Default: func(c *Config, _ func(string) string) string { return "http://" + c.Addr }},
}

// Flags gives the value of each flag the user set explicitly, by flag name.
type Flags interface {
	Changed(flag string) bool
	Value(flag string) string
}

// Load builds the configuration. configFile is the --config flag value ("" if
// unset); getenv reads the environment.
func Load(flags Flags, configFile string, getenv func(string) string) (*Config, error) {
	c := &Config{Origins: map[string]string{}}
	values := map[string]string{}

	// The data directory decides where the default config file is, so it is
	// resolved first from flag and environment alone.
	if flags.Changed("data-dir") {
		values["data_dir"], c.Origins["data_dir"] = flags.Value("data-dir"), "flag --data-dir"
	} else if v := getenv("PAVED_DATA_DIR"); v != "" {
		values["data_dir"], c.Origins["data_dir"] = v, "env PAVED_DATA_DIR"
	}
	if configFile == "" {
		configFile = getenv("PAVED_CONFIG")
	}
	explicit := configFile != ""
	if configFile == "" {
		dir := values["data_dir"]
		if dir == "" {
			dir = defaultDataDir(getenv)
		}
		configFile = filepath.Join(dir, "paved.yaml")
	}
	fileValues, fileLines, err := readFile(configFile, explicit)
	if err != nil {
		return nil, err
	}
	if fileValues != nil {
		c.File = configFile
	}

	for _, s := range Settings {
		switch {
		case flags.Changed(s.Flag):
			values[s.Key], c.Origins[s.Key] = flags.Value(s.Flag), "flag --"+s.Flag
		case getenv(s.Env()) != "":
			values[s.Key], c.Origins[s.Key] = getenv(s.Env()), "env "+s.Env()
		case fileValues != nil && fileValues[s.Key] != "":
			values[s.Key], c.Origins[s.Key] = fileValues[s.Key], fmt.Sprintf("file %s:%d", configFile, fileLines[s.Key])
		default:
			values[s.Key], c.Origins[s.Key] = s.Default(c, getenv), "default"
		}
		if err := c.set(s.Key, values[s.Key]); err != nil {
			return nil, fmt.Errorf("config %s (from %s): %w", s.Key, c.Origins[s.Key], err)
		}
	}
	return c, nil
}

func (c *Config) set(key, v string) error {
	var err error
	switch key {
	case "data_dir":
		c.DataDir = expandHome(v)
	case "db":
		c.DB = v
		if !strings.HasPrefix(v, "sqlite://") && !strings.HasPrefix(v, "postgres://") && !strings.HasPrefix(v, "postgresql://") {
			return fmt.Errorf("%q is not a database URL (try sqlite:///path/paved.db or postgres://user@host/db)", v)
		}
	case "addr":
		c.Addr = v
	case "sources":
		c.Sources = splitList(v)
	case "org_files":
		c.OrgFiles = splitList(v)
	case "standards":
		c.Standards = expandHome(v)
	case "gate_policy":
		c.GatePolicy = expandHome(v)
	case "admins":
		c.Admins = splitList(v)
	case "trusted_proxy_header":
		c.TrustedProxyHeader = v
	case "trusted_proxies":
		c.TrustedProxies = splitList(v)
	case "log_level":
		c.LogLevel = v
		if !oneOf(v, "debug", "info", "warn", "error") {
			return fmt.Errorf("%q is not a log level (debug, info, warn, error)", v)
		}
	case "log_format":
		c.LogFormat = v
		if !oneOf(v, "text", "json") {
			return fmt.Errorf("%q is not a log format (text, json)", v)
		}
	case "scan_workers":
		c.ScanWorkers, err = strconv.Atoi(v)
	case "job_workers":
		c.JobWorkers, err = strconv.Atoi(v)
	case "campaign_workers":
		if c.CampaignWorkers, err = strconv.Atoi(v); err == nil && c.CampaignWorkers < 1 {
			err = fmt.Errorf("%q must be at least 1", v)
		}
	case "forge":
		c.Forge = v
		if !oneOf(v, "local", "github") {
			return fmt.Errorf("%q is not a forge (local, github)", v)
		}
	case "github_url":
		c.GitHubURL = v
	case "github_token":
		c.GitHubToken = v
	case "base_url":
		c.BaseURL = strings.TrimSuffix(v, "/")
	case "scan_interval":
		c.ScanInterval, err = time.ParseDuration(v)
	case "session_ttl":
		if c.SessionTTL, err = time.ParseDuration(v); err == nil && c.SessionTTL <= 0 {
			err = fmt.Errorf("%q must be a positive duration such as 12h", v)
		}
	case "session_idle":
		if c.SessionIdle, err = time.ParseDuration(v); err == nil && c.SessionIdle < 0 {
			err = fmt.Errorf("%q must be 0 (off) or a positive duration such as 30m", v)
		}
	}
	return err
}

// readFile reads the YAML config file into raw string values by key, with
// the line of each key. A missing file is only an error when named
// explicitly; unknown keys are errors with their line.
func readFile(path string, explicit bool) (map[string]string, map[string]int, error) {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) && !explicit {
		return nil, nil, nil
	} else if err != nil {
		return nil, nil, fmt.Errorf("reading config file: %w", err)
	}
	var raw yaml.MapSlice
	if err := yaml.UnmarshalWithOptions(data, &raw, yaml.UseOrderedMap()); err != nil {
		return nil, nil, fmt.Errorf("config file %s: %s", path, yaml.FormatError(err, false, true))
	}
	known := map[string]bool{}
	for _, s := range Settings {
		known[s.Key] = true
	}
	values, lines := map[string]string{}, map[string]int{}
	for _, item := range raw {
		key := fmt.Sprint(item.Key)
		line := lineOf(data, key)
		if !known[key] {
			return nil, nil, fmt.Errorf("config file %s:%d: unknown setting %q (known: %s)", path, line, key, strings.Join(keys(), ", "))
		}
		switch v := item.Value.(type) {
		case []any:
			parts := make([]string, len(v))
			for i, p := range v {
				parts[i] = fmt.Sprint(p)
			}
			values[key] = strings.Join(parts, ",")
		case nil:
		default:
			values[key] = fmt.Sprint(v)
		}
		lines[key] = line
	}
	return values, lines, nil
}

func lineOf(data []byte, key string) int {
	for i, line := range bytes.Split(data, []byte("\n")) {
		if bytes.HasPrefix(line, []byte(key+":")) {
			return i + 1
		}
	}
	return 0
}

func keys() []string {
	var ks []string
	for _, s := range Settings {
		ks = append(ks, s.Key)
	}
	sort.Strings(ks)
	return ks
}

// Redacted returns the database URL with any password replaced, for display.
func Redacted(dbURL string) string {
	u, err := url.Parse(dbURL)
	if err != nil || u.User == nil {
		return dbURL
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "REDACTED")
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "REDACTED")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// SQLitePath returns the file path of a sqlite:// URL, or "" for any other.
func SQLitePath(dbURL string) string {
	p, ok := strings.CutPrefix(dbURL, "sqlite://")
	if !ok {
		return ""
	}
	return expandHome(p)
}

func defaultDataDir(getenv func(string) string) string {
	if d := getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "paved")
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".local", "share", "paved")
	}
	return ".paved"
}

func expandHome(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if h, err := os.UserHomeDir(); err == nil {
			return filepath.Join(h, rest)
		}
	}
	return p
}

func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, expandHome(p))
		}
	}
	return out
}

func oneOf(v string, options ...string) bool {
	for _, o := range options {
		if v == o {
			return true
		}
	}
	return false
}
