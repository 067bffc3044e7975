package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/paved-dev/paved/internal/store/sqlite"
)

// logout presses Log out in the header.
func (c *chrome) logout(t *testing.T) {
	t.Helper()
	c.do(t, chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("login")))
}

// The paths people take through the pages, in a real Chromium: a product
// engineer from their feed to the fix of a failing check; a session that
// ends on the way; a waiver asked for by one person and granted by another.
func TestUserPathsInChromium(t *testing.T) {
	c := newChrome(t)
	base, env := uiServer(t)
	people := findDemoPeople(t, base)
	check := failingCheckOf(t, base, people.Service)
	servicePath := "/catalog/component/default/" + people.Service
	name := func(ref string) string { return ref[strings.LastIndex(ref, "/")+1:] }

	t.Run("product engineer: login, feed, service, failing check, remediation", func(t *testing.T) {
		c.login(t, base, env, people.Member, "/")
		c.screenshot(t, "path-home")
		if who := js[string](t, c, `document.getElementById("viewer").textContent`); who != name(people.Member) {
			t.Errorf("the header shows %q logged in", who)
		}
		// Unread items first; marking one read happens in place.
		unread := js[int](t, c, `document.querySelectorAll("#unread .feed-item:not(.is-read)").length`)
		if unread > 0 {
			c.do(t, chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`),
				chromedp.Click(chromedp.CSS(`#unread .feed-item .mark-read`)),
				chromedp.WaitVisible(chromedp.CSS(`#unread .feed-item.is-read`)))
			if !js[bool](t, c, `window.notReloaded === true`) {
				t.Error("marking an item read reloaded the page")
			}
			if got := js[string](t, c, `document.getElementById("unread-count").textContent`); got != fmt.Sprintf("%d unread", unread-1) {
				t.Errorf("after marking one of %d read the count says %q", unread, got)
			}
			c.screenshot(t, "path-feed-read")
		} else {
			t.Logf("%s has no unread item in the demo", people.Member)
		}
		// Their team's service, from the quick links.
		c.do(t, chromedp.Click(chromedp.CSS(`.my-services a[href="`+servicePath+`"]`)), chromedp.WaitVisible(chromedp.ID("scorecard")))
		c.screenshot(t, "path-service")
		row := js[map[string]any](t, c, `(() => {
			const link = [...document.querySelectorAll("table.checks a")].find(a => a.getAttribute("href") === "/scorecards/checks/`+check+`");
			if (!link) return {found: false};
			const tr = link.closest("tr");
			return {found: true, mark: tr.querySelector(".mark").textContent, fix: !!tr.querySelector(".remediation"),
				waiver: !!tr.querySelector("a.request-waiver")};
		})()`)
		if row["found"] != true || !strings.Contains(fmt.Sprint(row["mark"]), "fail") || row["waiver"] != true {
			t.Errorf("failing check %s on the service page: %v", check, row)
		}
		// The check's own page explains how to fix it.
		// (The service page has a dl too: wait for the new page first.)
		c.submit(t, chromedp.Click(chromedp.CSS(`table.checks a[href="/scorecards/checks/`+check+`"]`)), "dl")
		c.screenshot(t, "path-check")
		if fix := js[string](t, c, `[...document.querySelectorAll("dt")].some(d => d.textContent === "How to fix") ? "yes" : "no"`); fix != "yes" {
			t.Logf("check %s has no remediation text", check)
		}
		if loc := js[string](t, c, `location.pathname`); loc != "/scorecards/checks/"+check {
			t.Errorf("on %q", loc)
		}
		c.noConsoleErrors(t)
	})

	t.Run("an ended session goes to login, then back to the page", func(t *testing.T) {
		// The session expires (as 12 hours later would).
		st, err := sqlite.Open(context.Background(), filepath.Join(env["PAVED_DATA_DIR"], "paved.db"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = st.DB().Exec(`UPDATE sessions SET expires_at = ?`, time.Now().Add(-time.Minute).UTC())
		st.Close()
		if err != nil {
			t.Fatal(err)
		}
		page := "/gate/waivers?service=" + people.Service
		c.visit(t, base+page, "path-session-ended")
		if loc := js[string](t, c, `location.pathname + location.search`); !strings.HasPrefix(loc, "/login?next=") {
			t.Fatalf("with an ended session the browser is on %q, want the login page", loc)
		}
		if msg := js[string](t, c, `document.querySelector("main .callout").textContent`); !strings.Contains(msg, "session has ended") {
			t.Errorf("the login page says %q", msg)
		}
		tok := decode[struct{ Token string }](t, runPaved(t, env, "token", "create", "--subject", people.Member, "-o", "json")).Token
		c.do(t, chromedp.SendKeys(chromedp.ID("token"), tok), chromedp.Submit(chromedp.ID("token")), chromedp.WaitVisible(chromedp.ID("viewer")))
		if loc := js[string](t, c, `location.pathname + location.search`); loc != page {
			t.Errorf("after logging in again the browser is on %q, want %q", loc, page)
		}
		c.noConsoleErrors(t)
	})

	t.Run("waiver: requested by a member, approved by the platform team, then waived", func(t *testing.T) {
		// The member asks, from the failing check on the service page.
		c.visit(t, base+servicePath, "waiver-service-before")
		c.do(t, chromedp.Click(chromedp.CSS(`a.request-waiver[href*="check=`+check+`&"]`)), chromedp.WaitVisible(chromedp.ID("reason")))
		if got := js[[]string](t, c, `[document.getElementById("service").value, document.getElementById("check").value]`); got[0] != people.Service || got[1] != check {
			t.Errorf("the request form is filled with %q", got)
		}
		// An empty reason comes back with its message.
		c.do(t, chromedp.Evaluate[chromedp.Void](`document.getElementById("expires").value = "`+time.Now().UTC().AddDate(0, 0, 10).Format(time.DateOnly)+`"`))
		c.submit(t, chromedp.Click(chromedp.CSS(`#request-form button[type=submit]`)), "#reason-error")
		c.screenshot(t, "waiver-invalid")
		c.do(t, chromedp.SendKeys(chromedp.ID("reason"), "the fix ships after the release freeze"),
			chromedp.Evaluate[chromedp.Void](`document.getElementById("expires").value = "`+time.Now().UTC().AddDate(0, 0, 10).Format(time.DateOnly)+`"`))
		c.submit(t, chromedp.Click(chromedp.CSS(`#request-form button[type=submit]`)), "table.waivers")
		c.screenshot(t, "waiver-requested")
		id := js[string](t, c, `location.hash.slice(1)`)
		if !strings.HasPrefix(id, "waiver-") {
			t.Fatalf("after the request the browser is on %q", js[string](t, c, `location.href`))
		}
		// The requester cannot approve their own request.
		buttons := js[[]string](t, c, `[...document.querySelectorAll("#`+id+` button")].map(b => b.value)`)
		if strings.Join(buttons, ",") != "revoke" {
			t.Errorf("the requester's buttons: %q, want revoke only", buttons)
		}
		c.logout(t)
		c.mu.Lock()
		c.errors = nil // the 422 of the empty reason
		c.mu.Unlock()

		// The platform team approves.
		c.login(t, base, env, people.Platform, "/gate/waivers?state=requested")
		c.screenshot(t, "waiver-to-approve")
		if got := js[[]string](t, c, `[...document.querySelectorAll("#`+id+` button")].map(b => b.value)`); strings.Join(got, ",") != "approve,deny,revoke" && strings.Join(got, ",") != "approve,deny" {
			t.Errorf("the approver's buttons: %q", got)
		}
		c.do(t, chromedp.SendKeys(chromedp.CSS(`#`+id+` input[name=note]`), "ok for ten days"))
		c.submit(t, chromedp.Click(chromedp.CSS(`#`+id+` button[value=approve]`)), "table.waivers")
		c.screenshot(t, "waiver-approved")
		if st := js[string](t, c, `document.querySelector("#`+id+` .chip").textContent`); st != "approved" {
			t.Errorf("the waiver is %q after approving", st)
		}
		// The check is waived on the service page.
		c.visit(t, base+servicePath, "waiver-service-after")
		mark := js[string](t, c, `(() => {
			const link = [...document.querySelectorAll("table.checks a")].find(a => a.getAttribute("href") === "/scorecards/checks/`+check+`");
			return link ? link.closest("tr").querySelector(".mark").textContent : "";
		})()`)
		if !strings.Contains(mark, "waived") {
			t.Errorf("check %s is marked %q on the service page, want waived", check, mark)
		}
		if n := js[int](t, c, `document.querySelectorAll("ul.waivers li").length`); n == 0 {
			t.Error("the service page lists no waiver")
		}
		c.noConsoleErrors(t)
	})
}
