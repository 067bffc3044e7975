package fleet

import (
	"fmt"
	"strings"
)

// Image freshness categories: most images are current, some outdated, a few
// float on :latest (or no tag) and a few are pinned by digest.
const (
	imgCurrent = iota
	imgOutdated
	imgFloating
	imgDigest
)

// image spells a base image in the given freshness category: current is the
// image as the project would choose it today, outdated and floating the
// variants fleets accumulate.
func (b *builder) image(fresh int, repo, current, outdated string) string {
	switch fresh {
	case imgOutdated:
		return repo + ":" + outdated
	case imgFloating:
		if b.r.chance(0.5) {
			return repo + ":latest"
		}
		return repo
	case imgDigest:
		return repo + ":" + current + "@sha256:" + b.r.hexString(64)
	}
	return repo + ":" + current
}

func (b *builder) dockerfile() {
	rp := b.rp
	fresh := b.r.weighted(65, 20, 8, 7)
	var sb strings.Builder
	var bases []string
	from := func(image, as string) {
		bases = append(bases, image)
		if as != "" {
			fmt.Fprintf(&sb, "FROM %s AS %s\n", image, as)
		} else {
			fmt.Fprintf(&sb, "FROM %s\n", image)
		}
	}
	// final describes the runtime image: whether it has a shell (so it can
	// run adduser and a HEALTHCHECK command) and its stock non-root user.
	shell, distroless := true, false

	switch rp.lang {
	case langGo:
		goTag := minorVersion(b.info.LanguageVersion)
		builder := b.image(fresh, "golang", goTag+[]string{"", "-alpine", "-bookworm"}[b.r.IntN(3)], []string{"1.19", "1.18", "1.19-alpine"}[b.r.IntN(3)])
		from(builder, "build")
		sb.WriteString("WORKDIR /src\nCOPY go.mod ./\nRUN go mod download\nCOPY . .\n")
		fmt.Fprintf(&sb, "RUN CGO_ENABLED=0 go build -trimpath -o /out/app %s\n\n", b.goMain)
		switch b.r.IntN(4) {
		case 0:
			from("gcr.io/distroless/static-debian12", "")
			shell, distroless = false, true
		case 1:
			from("gcr.io/distroless/static-debian12:nonroot", "")
			shell, distroless = false, true
		case 2:
			from([]string{"alpine:3.19", "alpine:3.20", "alpine:3.14"}[b.r.IntN(3)], "")
		default:
			from("debian:bookworm-slim", "")
		}
		sb.WriteString("COPY --from=build /out/app /usr/local/bin/app\n")
	case langJava:
		v := b.info.LanguageVersion
		if b.javaTool == "maven" {
			from(b.image(fresh, "maven", "3.9-eclipse-temurin-"+v, "3.6-jdk-8"), "build")
			sb.WriteString("WORKDIR /src\nCOPY pom.xml .\nRUN mvn -B dependency:go-offline\nCOPY src ./src\nRUN mvn -B package -DskipTests\n\n")
		} else {
			from(b.image(fresh, "gradle", "8.5-jdk"+v, "6.9-jdk8"), "build")
			sb.WriteString("WORKDIR /src\nCOPY . .\nRUN gradle build -x test\n\n")
		}
		runtime := b.image(fresh, "eclipse-temurin", v+"-jre", "11-jre")
		if fresh == imgOutdated && b.r.chance(0.4) {
			runtime = "openjdk:8-jre-slim"
		}
		from(runtime, "")
		dir := "target"
		if b.javaTool == "gradle" {
			dir = "build/libs"
		}
		fmt.Fprintf(&sb, "WORKDIR /app\nCOPY --from=build /src/%s/*.jar /app/app.jar\n", dir)
	case langPython:
		v := b.info.LanguageVersion
		from(b.image(fresh, "python", v+"-slim", []string{"3.8-slim", "3.7-slim"}[b.r.IntN(2)]), "")
		sb.WriteString("WORKDIR /app\nENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1\n")
		if b.has("requirements.txt") {
			sb.WriteString("COPY requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt\nCOPY . .\n")
		} else {
			sb.WriteString("COPY . .\nRUN pip install --no-cache-dir .\n")
		}
	case langNode:
		major := b.info.LanguageVersion
		image := b.image(fresh, "node", major+"-alpine", []string{"14-alpine", "12-alpine"}[b.r.IntN(2)])
		if b.r.chance(0.4) {
			from(image, "deps")
			sb.WriteString("WORKDIR /app\nCOPY package*.json ./\nRUN npm ci --omit=dev\n\n")
			from(image, "")
			sb.WriteString("WORKDIR /app\nCOPY --from=deps /app/node_modules ./node_modules\nCOPY . .\n")
		} else {
			from(image, "")
			sb.WriteString("WORKDIR /app\nCOPY package*.json ./\nRUN npm ci --omit=dev\nCOPY . .\nENV NODE_ENV=production\n")
		}
	}
	fmt.Fprintf(&sb, "EXPOSE %d\n", b.port)

	final := bases[len(bases)-1]
	alpine := strings.Contains(final, "alpine")
	switch b.r.weighted(60, 5, 35) {
	case 0:
		user := []string{"nonroot", "app", "65532"}[b.r.IntN(3)]
		switch {
		case distroless && user == "app":
			user = "nonroot"
		case user == "app" && alpine:
			sb.WriteString("RUN addgroup -S app && adduser -S app -G app\n")
		case user == "app" && shell:
			sb.WriteString("RUN useradd --system --no-create-home app\n")
		case user == "nonroot" && !distroless:
			user = "65532"
		}
		fmt.Fprintf(&sb, "USER %s\n", user)
		b.info.DockerUser = user
	case 1:
		sb.WriteString("USER root\n")
		b.info.DockerUser = "root"
	}
	if shell && b.r.chance(0.35) {
		tool := "curl -fsS"
		if alpine {
			tool = "wget -qO-"
		}
		fmt.Fprintf(&sb, "HEALTHCHECK --interval=30s --timeout=3s CMD %s http://localhost:%d/healthz || exit 1\n", tool, b.port)
		b.info.Healthcheck = true
	}
	switch rp.lang {
	case langGo:
		sb.WriteString(`ENTRYPOINT ["/usr/local/bin/app"]` + "\n")
	case langJava:
		sb.WriteString(`ENTRYPOINT ["java", "-jar", "/app/app.jar"]` + "\n")
	case langPython:
		switch {
		case b.has(b.pyModule + "/app.py"):
			fmt.Fprintf(&sb, "CMD [\"python\", \"-m\", \"%s.app\"]\n", b.pyModule)
		default:
			fmt.Fprintf(&sb, "CMD [\"python\", \"-m\", \"%s\"]\n", b.pyModule)
		}
	case langNode:
		sb.WriteString(`CMD ["node", "server.js"]` + "\n")
	}

	b.info.Dockerfile = true
	b.info.BaseImages = bases
	b.add("Dockerfile", "docker", sb.String())
	if b.r.chance(0.5) {
		b.add(".dockerignore", "docker", ".git\n*.md\n"+map[string]string{langNode: "node_modules\n", langPython: "__pycache__\n.venv\n", langJava: "target\nbuild\n", langGo: "bin\n"}[rp.lang])
	}
}

func (b *builder) has(path string) bool {
	for _, f := range b.files {
		if f.path == path {
			return true
		}
	}
	return false
}

// goldenWorkflow names the golden-ci reusable workflow for a language.
func goldenWorkflow(lang string) string {
	return fmt.Sprintf("%s/golden-ci/.github/workflows/%s.yml", company, lang)
}

func (b *builder) ci() {
	rp := b.rp
	switch b.r.weighted(55, 30, 10, 5) {
	case 0:
		ref := "v3"
		if b.r.chance(0.25) {
			ref = "v2"
		}
		b.info.CI, b.info.GoldenRef = CIGolden, ref
		var sb strings.Builder
		fmt.Fprintf(&sb, "name: ci\n\non:\n  push:\n    branches: [%s]\n  pull_request:\n\njobs:\n  ci:\n    uses: %s@%s\n", rp.branch, goldenWorkflow(rp.lang), ref)
		if b.r.chance(0.4) {
			key, val := "", ""
			switch rp.lang {
			case langGo:
				key, val = "go-version", b.info.LanguageVersion
			case langJava:
				key, val = "java-version", b.info.LanguageVersion
			case langPython:
				key, val = "python-version", b.info.LanguageVersion
			case langNode:
				key, val = "node-version", b.info.LanguageVersion
			}
			fmt.Fprintf(&sb, "    with:\n      %s: %q\n", key, val)
		}
		if b.r.chance(0.6) {
			sb.WriteString("    secrets: inherit\n")
		}
		b.add(".github/workflows/ci.yml", "ci", sb.String())
	case 1:
		b.info.CI = CIBespoke
		b.bespokeWorkflow()
	case 2:
		b.info.CI = CIGitLab
		b.gitlabCI()
	}
}

func (b *builder) bespokeWorkflow() {
	rp := b.rp
	var sb strings.Builder
	name := []string{"build", "test", "CI", "pipeline"}[b.r.IntN(4)]
	fmt.Fprintf(&sb, "name: %s\n\n", name)
	if b.r.chance(0.5) {
		sb.WriteString("on: [push, pull_request]\n\n")
	} else {
		fmt.Fprintf(&sb, "on:\n  push:\n    branches:\n      - %s\n  pull_request:\n    branches:\n      - %s\n\n", rp.branch, rp.branch)
	}
	runner := []string{"ubuntu-latest", "ubuntu-22.04", "ubuntu-20.04"}[b.r.weighted(70, 20, 10)]
	fmt.Fprintf(&sb, "jobs:\n  test:\n    runs-on: %s\n    steps:\n", runner)
	fmt.Fprintf(&sb, "      - uses: actions/checkout@%s\n", []string{"v4", "v3", "v2"}[b.r.weighted(60, 30, 10)])
	test := b.testCmd
	if b.makefile && b.r.chance(0.7) {
		test = "make test"
	}
	switch rp.lang {
	case langGo:
		fmt.Fprintf(&sb, "      - uses: actions/setup-go@%s\n        with:\n", []string{"v5", "v4", "v3"}[b.r.weighted(50, 35, 15)])
		if b.r.chance(0.5) {
			sb.WriteString("          go-version-file: go.mod\n")
		} else {
			fmt.Fprintf(&sb, "          go-version: '%s'\n", b.info.LanguageVersion)
		}
		if b.r.chance(0.5) {
			sb.WriteString("      - name: Vet\n        run: go vet ./...\n")
		}
	case langJava:
		tool := "maven"
		if b.javaTool == "gradle" {
			tool = "gradle"
		}
		fmt.Fprintf(&sb, "      - uses: actions/setup-java@%s\n        with:\n          distribution: %s\n          java-version: '%s'\n          cache: %s\n",
			[]string{"v4", "v3"}[b.r.IntN(2)], []string{"temurin", "temurin", "zulu", "corretto"}[b.r.IntN(4)], b.info.LanguageVersion, tool)
	case langPython:
		fmt.Fprintf(&sb, "      - uses: actions/setup-python@%s\n        with:\n          python-version: '%s'\n", []string{"v5", "v4"}[b.r.IntN(2)], b.info.LanguageVersion)
		if b.has("requirements.txt") {
			deps := "requirements.txt"
			if b.has("requirements-dev.txt") {
				deps = "requirements-dev.txt"
			}
			fmt.Fprintf(&sb, "      - run: pip install -r %s\n", deps)
		} else {
			sb.WriteString("      - run: pip install -e '.[test]'\n")
		}
	case langNode:
		fmt.Fprintf(&sb, "      - uses: actions/setup-node@%s\n        with:\n          node-version: %s\n", []string{"v4", "v3"}[b.r.IntN(2)], b.info.LanguageVersion)
		if b.r.chance(0.5) {
			sb.WriteString("          cache: npm\n")
		}
		sb.WriteString("      - run: npm ci\n")
	}
	if b.r.chance(0.5) {
		fmt.Fprintf(&sb, "      - name: Test\n        run: %s\n", test)
	} else {
		fmt.Fprintf(&sb, "      - run: %s\n", test)
	}
	file := []string{"ci.yml", "build.yml", "test.yml", "main.yml"}[b.r.IntN(4)]
	b.add(".github/workflows/"+file, "ci", sb.String())
}

func (b *builder) gitlabCI() {
	image := map[string]string{
		langGo:     "golang:" + minorVersion(b.info.LanguageVersion),
		langJava:   "maven:3.9-eclipse-temurin-" + b.info.LanguageVersion,
		langPython: "python:" + b.info.LanguageVersion,
		langNode:   "node:" + b.info.LanguageVersion,
	}[b.rp.lang]
	if b.rp.lang == langJava && b.javaTool == "gradle" {
		image = "gradle:8.5-jdk" + b.info.LanguageVersion
	}
	var sb strings.Builder
	sb.WriteString("stages:\n  - test\n  - build\n\n")
	fmt.Fprintf(&sb, "test:\n  stage: test\n  image: %s\n  script:\n", image)
	switch b.rp.lang {
	case langNode:
		sb.WriteString("    - npm ci\n")
	case langPython:
		if b.has("requirements.txt") {
			sb.WriteString("    - pip install -r requirements.txt\n")
		} else {
			sb.WriteString("    - pip install -e .\n")
		}
	}
	fmt.Fprintf(&sb, "    - %s\n", b.testCmd)
	if b.info.Dockerfile || b.rp.kind == kindService {
		sb.WriteString("\nbuild:\n  stage: build\n  image: docker:24\n  services:\n    - docker:24-dind\n  script:\n    - docker build -t $CI_REGISTRY_IMAGE:$CI_COMMIT_SHORT_SHA .\n  only:\n    - " + b.rp.branch + "\n")
	}
	b.add(".gitlab-ci.yml", "ci", sb.String())
}

// minorVersion turns a go.mod go line such as "1.22.5" into the "1.22" that
// image tags use.
func minorVersion(v string) string {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return v
	}
	return parts[0] + "." + parts[1]
}
