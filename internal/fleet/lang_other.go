package fleet

import (
	"fmt"
	"strings"
)

// Java, Python and Node projects are realistic in layout and build metadata
// (which is what collectors and campaigns read); unlike Go they are not
// built by this package's tests.

func (b *builder) javaFiles() {
	rp := b.rp
	version := []string{"8", "11", "17", "21"}[b.r.weighted(15, 30, 35, 20)]
	b.info.LanguageVersion = version
	pkg := "com." + company + "." + strings.NewReplacer("-", "", "_", "").Replace(rp.name)
	pkgDir := strings.ReplaceAll(pkg, ".", "/")
	spring := rp.kind == kindService && b.r.chance(0.7)
	bootVersion := "3.2.5"
	if version == "8" || version == "11" {
		bootVersion = "2.7.18"
	}
	junit4 := version == "8" && !spring && b.r.chance(0.5)

	if b.r.chance(0.6) {
		b.javaTool = "maven"
		b.testCmd, b.buildCmd = "mvn -B test", "mvn -B package"
		b.add("pom.xml", "", b.pom(version, spring, bootVersion, junit4))
	} else {
		b.javaTool = "gradle"
		b.testCmd, b.buildCmd = "gradle test", "gradle build"
		b.add("build.gradle", "", b.gradle(version, spring, bootVersion, junit4))
		b.add("settings.gradle", "", fmt.Sprintf("rootProject.name = '%s'\n", rp.name))
	}

	class := javaClassName(rp.name)
	b.add("src/main/java/"+pkgDir+"/"+class+".java", "", fmt.Sprintf(`package %s;

import java.util.List;

/** Business rules of %s, kept free of framework code so they test fast. */
public final class %s {
    private %s() {}

    /** Sums amounts in cents. */
    public static long total(List<Long> cents) {
        long sum = 0;
        for (long c : cents) {
            sum += c;
        }
        return sum;
    }

    /** Renders cents as a decimal amount. */
    public static String format(long cents) {
        String sign = cents < 0 ? "-" : "";
        long abs = Math.abs(cents);
        return String.format("%%s%%d.%%02d", sign, abs / 100, abs %% 100);
    }
}
`, pkg, rp.name, class, class))

	testBody := fmt.Sprintf(`    @Test
    void formatsCents() {
        assertEquals("19.99", %s.format(1999));
        assertEquals("-2.50", %s.format(-250));
    }

    @Test
    void sumsAmounts() {
        assertEquals(1500L, %s.total(Arrays.asList(1999L, 1L, -500L)));
    }
`, class, class, class)
	testImports := "import static org.junit.jupiter.api.Assertions.assertEquals;\n\nimport java.util.Arrays;\nimport org.junit.jupiter.api.Test;\n"
	if junit4 {
		testImports = "import static org.junit.Assert.assertEquals;\n\nimport java.util.Arrays;\nimport org.junit.Test;\n"
		testBody = strings.ReplaceAll(testBody, "    void ", "    public void ")
	}
	b.add("src/test/java/"+pkgDir+"/"+class+"Test.java", "", fmt.Sprintf("package %s;\n\n%s\npublic class %sTest {\n%s}\n", pkg, testImports, class, testBody))

	if rp.kind != kindService {
		return
	}
	if spring {
		b.add("src/main/java/"+pkgDir+"/Application.java", "", fmt.Sprintf(`package %s;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

@SpringBootApplication
@RestController
public class Application {
    public static void main(String[] args) {
        SpringApplication.run(Application.class, args);
    }

    @GetMapping("/healthz")
    public String health() {
        return "ok";
    }
}
`, pkg))
		b.add("src/main/resources/application.yml", "", fmt.Sprintf("server:\n  port: ${PORT:%d}\nspring:\n  application:\n    name: %s\nmanagement:\n  endpoints:\n    web:\n      exposure:\n        include: health,info,prometheus\n", b.port, rp.name))
		return
	}
	b.add("src/main/java/"+pkgDir+"/Main.java", "", fmt.Sprintf(`package %s;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

public class Main {
    public static void main(String[] args) throws Exception {
        String port = System.getenv().getOrDefault("PORT", "%d");
        HttpServer server = HttpServer.create(new InetSocketAddress(Integer.parseInt(port)), 0);
        server.createContext("/healthz", exchange -> {
            byte[] body = "ok".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }
}
`, pkg, b.port))
}

func javaClassName(name string) string {
	var sb strings.Builder
	for _, w := range strings.Split(name, "-") {
		if w == "" {
			continue
		}
		if w[0] >= '0' && w[0] <= '9' {
			sb.WriteString("V" + w)
			continue
		}
		sb.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	return sb.String()
}

func (b *builder) pom(version string, spring bool, bootVersion string, junit4 bool) string {
	rp := b.rp
	var sb strings.Builder
	sb.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0"
         xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>
`)
	if spring {
		fmt.Fprintf(&sb, `
  <parent>
    <groupId>org.springframework.boot</groupId>
    <artifactId>spring-boot-starter-parent</artifactId>
    <version>%s</version>
    <relativePath/>
  </parent>
`, bootVersion)
	}
	fmt.Fprintf(&sb, `
  <groupId>com.%s</groupId>
  <artifactId>%s</artifactId>
  <version>%d.%d.%d-SNAPSHOT</version>
  <name>%s</name>

  <properties>
`, company, rp.name, b.r.IntN(4), b.r.IntN(20), b.r.IntN(10), rp.name)
	switch {
	case spring:
		fmt.Fprintf(&sb, "    <java.version>%s</java.version>\n", javaSpec(version))
	case version == "8" || b.r.chance(0.3):
		fmt.Fprintf(&sb, "    <maven.compiler.source>%s</maven.compiler.source>\n    <maven.compiler.target>%s</maven.compiler.target>\n", javaSpec(version), javaSpec(version))
	default:
		fmt.Fprintf(&sb, "    <maven.compiler.release>%s</maven.compiler.release>\n", version)
	}
	sb.WriteString("    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>\n  </properties>\n\n  <dependencies>\n")
	if spring {
		sb.WriteString(`    <dependency>
      <groupId>org.springframework.boot</groupId>
      <artifactId>spring-boot-starter-web</artifactId>
    </dependency>
    <dependency>
      <groupId>org.springframework.boot</groupId>
      <artifactId>spring-boot-starter-actuator</artifactId>
    </dependency>
`)
	}
	if b.r.chance(0.4) {
		sb.WriteString(`    <dependency>
      <groupId>com.fasterxml.jackson.core</groupId>
      <artifactId>jackson-databind</artifactId>
      <version>2.15.2</version>
    </dependency>
`)
	}
	if junit4 {
		sb.WriteString(`    <dependency>
      <groupId>junit</groupId>
      <artifactId>junit</artifactId>
      <version>4.13.2</version>
      <scope>test</scope>
    </dependency>
`)
	} else {
		sb.WriteString(`    <dependency>
      <groupId>org.junit.jupiter</groupId>
      <artifactId>junit-jupiter</artifactId>
      <version>5.10.2</version>
      <scope>test</scope>
    </dependency>
`)
	}
	sb.WriteString("  </dependencies>\n\n  <build>\n    <plugins>\n")
	if spring {
		sb.WriteString(`      <plugin>
        <groupId>org.springframework.boot</groupId>
        <artifactId>spring-boot-maven-plugin</artifactId>
      </plugin>
`)
	}
	sb.WriteString(`      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-surefire-plugin</artifactId>
        <version>3.2.5</version>
      </plugin>
    </plugins>
  </build>
</project>
`)
	return sb.String()
}

// javaSpec spells a Java version the way source/target properties do.
func javaSpec(version string) string {
	if version == "8" {
		return "1.8"
	}
	return version
}

func (b *builder) gradle(version string, spring bool, bootVersion string, junit4 bool) string {
	var sb strings.Builder
	sb.WriteString("plugins {\n    id 'java'\n")
	if spring {
		dm := "1.1.4"
		if strings.HasPrefix(bootVersion, "2.") {
			dm = "1.0.15.RELEASE"
		}
		fmt.Fprintf(&sb, "    id 'org.springframework.boot' version '%s'\n    id 'io.spring.dependency-management' version '%s'\n", bootVersion, dm)
	}
	fmt.Fprintf(&sb, "}\n\ngroup = 'com.%s'\nversion = '%d.%d.%d'\n\n", company, b.r.IntN(4), b.r.IntN(20), b.r.IntN(10))
	switch b.r.IntN(3) {
	case 0:
		fmt.Fprintf(&sb, "java {\n    toolchain {\n        languageVersion = JavaLanguageVersion.of(%s)\n    }\n}\n\n", version)
	case 1:
		if version == "8" {
			sb.WriteString("sourceCompatibility = JavaVersion.VERSION_1_8\ntargetCompatibility = JavaVersion.VERSION_1_8\n\n")
		} else {
			fmt.Fprintf(&sb, "sourceCompatibility = JavaVersion.VERSION_%s\n\n", version)
		}
	default:
		fmt.Fprintf(&sb, "java {\n    sourceCompatibility = '%s'\n}\n\n", javaSpec(version))
	}
	sb.WriteString("repositories {\n    mavenCentral()\n}\n\ndependencies {\n")
	if spring {
		sb.WriteString("    implementation 'org.springframework.boot:spring-boot-starter-web'\n    implementation 'org.springframework.boot:spring-boot-starter-actuator'\n")
	}
	if b.r.chance(0.4) {
		sb.WriteString("    implementation 'com.google.guava:guava:32.1.3-jre'\n")
	}
	if junit4 {
		sb.WriteString("    testImplementation 'junit:junit:4.13.2'\n}\n")
	} else {
		sb.WriteString("    testImplementation 'org.junit.jupiter:junit-jupiter:5.10.2'\n    testRuntimeOnly 'org.junit.platform:junit-platform-launcher'\n}\n\ntest {\n    useJUnitPlatform()\n}\n")
	}
	return sb.String()
}

func (b *builder) pythonFiles() {
	rp := b.rp
	version := []string{"3.8", "3.9", "3.10", "3.11", "3.12"}[b.r.weighted(15, 20, 25, 25, 15)]
	b.info.LanguageVersion = version
	mod := strings.ReplaceAll(rp.name, "-", "_")
	b.pyModule = mod
	framework := ""
	var deps []string
	if rp.kind == kindService {
		switch b.r.IntN(3) {
		case 0:
			framework, deps = "flask", []string{"flask>=2.3", "gunicorn>=21.2"}
		case 1:
			framework, deps = "fastapi", []string{"fastapi>=0.110", "uvicorn>=0.29"}
		default:
			framework, deps = "http.server", nil
		}
	}
	if b.r.chance(0.4) {
		deps = append(deps, "requests>=2.31")
	}
	if b.r.chance(0.3) {
		deps = append(deps, "pydantic>=2.5")
	}
	pytest := b.r.chance(0.7)
	if pytest {
		b.testCmd = "python -m pytest"
	} else {
		b.testCmd = "python -m unittest discover -s tests"
	}
	if b.r.chance(0.6) {
		b.buildCmd = "python -m build"
		var sb strings.Builder
		fmt.Fprintf(&sb, "[build-system]\nrequires = [\"setuptools>=68\", \"wheel\"]\nbuild-backend = \"setuptools.build_meta\"\n\n[project]\nname = %q\nversion = \"%d.%d.%d\"\ndescription = %q\nrequires-python = \">=%s\"\ndependencies = [\n", rp.name, b.r.IntN(3), b.r.IntN(20), b.r.IntN(10), b.summaryMD, version)
		for _, d := range deps {
			fmt.Fprintf(&sb, "    %q,\n", d)
		}
		sb.WriteString("]\n")
		if pytest {
			sb.WriteString("\n[project.optional-dependencies]\ntest = [\"pytest>=7.4\"]\n\n[tool.pytest.ini_options]\ntestpaths = [\"tests\"]\n")
		}
		b.add("pyproject.toml", "", sb.String())
	} else {
		b.buildCmd = "pip install -r requirements.txt"
		b.add("requirements.txt", "", strings.Join(append(append([]string(nil), deps...), ""), "\n"))
		if pytest {
			b.add("requirements-dev.txt", "", "-r requirements.txt\npytest>=7.4\n")
		}
		if b.r.chance(0.5) {
			b.add(".python-version", "", version+"\n")
		}
	}
	b.add(mod+"/__init__.py", "", fmt.Sprintf("\"\"\"%s\"\"\"\n\n__version__ = \"0.1.0\"\n", b.summaryMD))
	b.add(mod+"/core.py", "", `"""Pure functions, kept apart from the web layer so they test fast."""


def format_cents(cents):
    """Render an amount in cents as a decimal string."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return "%s%d.%02d" % (sign, cents // 100, cents % 100)


def slugify(title):
    """Lower-case words joined by single dashes."""
    words = "".join(c if c.isalnum() else " " for c in title.lower()).split()
    return "-".join(words)
`)
	b.add("tests/__init__.py", "", "")
	if pytest {
		b.add("tests/test_core.py", "", fmt.Sprintf(`from %s.core import format_cents, slugify


def test_format_cents():
    assert format_cents(1999) == "19.99"
    assert format_cents(-250) == "-2.50"


def test_slugify():
    assert slugify("Hello, World!") == "hello-world"
`, mod))
	} else {
		b.add("tests/test_core.py", "", fmt.Sprintf(`import unittest

from %s.core import format_cents, slugify


class CoreTest(unittest.TestCase):
    def test_format_cents(self):
        self.assertEqual(format_cents(1999), "19.99")

    def test_slugify(self):
        self.assertEqual(slugify("Hello, World!"), "hello-world")


if __name__ == "__main__":
    unittest.main()
`, mod))
	}
	switch framework {
	case "flask":
		b.add(mod+"/app.py", "", fmt.Sprintf(`import os

from flask import Flask

from .core import format_cents

app = Flask(__name__)


@app.get("/healthz")
def healthz():
    return "ok"


@app.get("/v1/total")
def total():
    return {"total": format_cents(1999)}


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=int(os.environ.get("PORT", "%d")))
`, b.port))
	case "fastapi":
		b.add(mod+"/app.py", "", `from fastapi import FastAPI

from .core import format_cents

app = FastAPI()


@app.get("/healthz")
def healthz():
    return "ok"


@app.get("/v1/total")
def total():
    return {"total": format_cents(1999)}
`)
	case "http.server":
		b.add(mod+"/app.py", "", fmt.Sprintf(`import os
from http.server import BaseHTTPRequestHandler, HTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/healthz" else 404)
        self.end_headers()
        self.wfile.write(b"ok")


def main():
    port = int(os.environ.get("PORT", "%d"))
    HTTPServer(("", port), Handler).serve_forever()


if __name__ == "__main__":
    main()
`, b.port))
	}
}

func (b *builder) nodeFiles() {
	rp := b.rp
	major := []string{"14", "16", "18", "20", "22"}[b.r.weighted(10, 15, 25, 30, 20)]
	b.info.LanguageVersion = major
	engine := []string{">=" + major, major + ".x", "^" + major + ".0.0"}[b.r.IntN(3)]
	runner := "node"
	if major == "14" || major == "16" || b.r.chance(0.5) {
		runner = []string{"jest", "mocha"}[b.r.IntN(2)]
	}
	name := rp.name
	if b.r.chance(0.5) {
		name = "@" + company + "/" + rp.name
	}
	deps := map[string]string{}
	if rp.kind == kindService {
		switch b.r.IntN(2) {
		case 0:
			deps["express"] = "^4.18.2"
		default:
			deps["fastify"] = "^4.26.2"
		}
		deps["pino"] = "^8.19.0"
	}
	if b.r.chance(0.4) {
		deps["lodash"] = "^4.17.21"
	}
	if b.r.chance(0.3) {
		deps["axios"] = "^1.6.8"
	}
	devDeps := map[string]string{}
	test := "node --test"
	switch runner {
	case "jest":
		devDeps["jest"] = "^29.7.0"
		test = "jest"
	case "mocha":
		devDeps["mocha"] = "^10.4.0"
		test = "mocha"
	}
	if b.r.chance(0.5) {
		devDeps["eslint"] = "^8.57.0"
	}
	b.testCmd, b.buildCmd = "npm test", "npm ci"

	var sb strings.Builder
	fmt.Fprintf(&sb, "{\n  \"name\": %q,\n  \"version\": \"%d.%d.%d\",\n  \"private\": true,\n  \"description\": %q,\n  \"main\": \"index.js\",\n  \"scripts\": {\n", name, b.r.IntN(3), b.r.IntN(20), b.r.IntN(10), b.summaryMD)
	if rp.kind == kindService {
		sb.WriteString("    \"start\": \"node server.js\",\n")
	}
	if devDeps["eslint"] != "" {
		sb.WriteString("    \"lint\": \"eslint .\",\n")
	}
	fmt.Fprintf(&sb, "    \"test\": %q\n  },\n  \"engines\": {\n    \"node\": %q\n  }", test, engine)
	writeDeps := func(key string, m map[string]string) {
		if len(m) == 0 {
			return
		}
		fmt.Fprintf(&sb, ",\n  %q: {\n", key)
		keys := sortedKeys(m)
		for i, k := range keys {
			fmt.Fprintf(&sb, "    %q: %q", k, m[k])
			if i < len(keys)-1 {
				sb.WriteString(",")
			}
			sb.WriteString("\n")
		}
		sb.WriteString("  }")
	}
	writeDeps("dependencies", deps)
	writeDeps("devDependencies", devDeps)
	sb.WriteString("\n}\n")
	b.add("package.json", "", sb.String())
	if b.r.chance(0.4) {
		b.add(".nvmrc", "", major+"\n")
	}

	b.add("index.js", "", `'use strict';

// Pure functions, kept apart from the server so they test fast.

function formatCents(cents) {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return sign + Math.floor(abs / 100) + '.' + String(abs % 100).padStart(2, '0');
}

function slugify(title) {
  return title.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean).join('-');
}

module.exports = { formatCents, slugify };
`)
	switch runner {
	case "node":
		b.add("test/index.test.js", "", `'use strict';

const test = require('node:test');
const assert = require('node:assert');
const { formatCents, slugify } = require('..');

test('formatCents renders two decimals', () => {
  assert.strictEqual(formatCents(1999), '19.99');
  assert.strictEqual(formatCents(-250), '-2.50');
});

test('slugify joins words with dashes', () => {
  assert.strictEqual(slugify('Hello, World!'), 'hello-world');
});
`)
	case "jest":
		b.add("index.test.js", "", `'use strict';

const { formatCents, slugify } = require('./index');

test('formatCents renders two decimals', () => {
  expect(formatCents(1999)).toBe('19.99');
  expect(formatCents(-250)).toBe('-2.50');
});

test('slugify joins words with dashes', () => {
  expect(slugify('Hello, World!')).toBe('hello-world');
});
`)
	case "mocha":
		b.add("test/index.spec.js", "", `'use strict';

const assert = require('assert');
const { formatCents, slugify } = require('..');

describe('formatCents', () => {
  it('renders two decimals', () => {
    assert.strictEqual(formatCents(1999), '19.99');
  });
});

describe('slugify', () => {
  it('joins words with dashes', () => {
    assert.strictEqual(slugify('Hello, World!'), 'hello-world');
  });
});
`)
	}
	if rp.kind != kindService {
		return
	}
	if deps["express"] != "" {
		b.add("server.js", "", fmt.Sprintf(`'use strict';

const express = require('express');
const pino = require('pino');
const { formatCents } = require('./index');

const log = pino();
const app = express();

app.get('/healthz', (req, res) => res.send('ok'));
app.get('/v1/total', (req, res) => res.json({ total: formatCents(1999) }));

const port = process.env.PORT || %d;
app.listen(port, () => log.info({ port }, '%s listening'));
`, b.port, rp.name))
	} else {
		b.add("server.js", "", fmt.Sprintf(`'use strict';

const fastify = require('fastify')({ logger: true });
const { formatCents } = require('./index');

fastify.get('/healthz', async () => 'ok');
fastify.get('/v1/total', async () => ({ total: formatCents(1999) }));

fastify.listen({ port: Number(process.env.PORT || %d), host: '0.0.0.0' });
`, b.port))
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}
