"""Long words never break the phone layout: every page with 60-character German compounds, in English and German.

The names of a customer, its company, the rep, the coach, the team, a challenge, a holiday and
the notes are unbreakable 60-character compounds. Every GET page of the URL map a rep, a coach
and an admin reach (and the signed-out ones) is loaded at 360×740 and 390×844 in both languages:
no page may be wider than the screen, and no button with a label of the app (not a user's name)
may wrap to a second line, and no word of a checkbox or radio label may break over two.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from app import clock
from app.kinds import Role
from app.operations import away, challenges, crisis, invites, kudos, password_reset, weekly_mail
from app.operations import follow_ups as follow_up_ops
from app.operations import touches as touch_ops

from .conftest import LIVE_SECRET
from .helpers import sign_in

pytestmark = pytest.mark.browser

COMPOUNDS = (
    "Donaudampfschifffahrtsgesellschaftskapitänswitwenrentenkasse",
    "Kraftfahrzeughaftpflichtversicherungsbeitragsrückerstattungs",
    "Rindfleischetikettierungsüberwachungsaufgabenübertragungsges",
    "Grundstücksverkehrsgenehmigungszuständigkeitsübertragungsver",
)
SIZES = ({"width": 360, "height": 740}, {"width": 390, "height": 844})

# How a page overflows: its width beyond the screen, and the widest elements that stick out. A
# phone browser zooms a page that is too wide out until it fits, which makes ``innerWidth`` as
# wide as the page: the layout viewport (``clientWidth``) is the screen's width.
OVERFLOW = """() => {
  const width = Math.min(window.innerWidth, document.documentElement.clientWidth);
  const wider = [...document.querySelectorAll('body *')].filter(el => {
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.right > width + 1 && !el.closest('.sr-only, .skip, .table-scroll');
  }).slice(0, 5).map(el => el.tagName.toLowerCase() + '.' + [...el.classList].join('.') + ' ' + Math.round(el.getBoundingClientRect().right));
  return {scroll: document.documentElement.scrollWidth, width, wider};
}"""

# Buttons whose label (the app's words, not a user's name) runs over more than one line.
WRAPPED_BUTTONS = """(names) => {
  const wrapped = [];
  for (const el of document.querySelectorAll('button, .button, summary.button, .chip, .section-nav a, .bottomnav a')) {
    if (!el.checkVisibility() || el.closest('.sr-only')) continue;
    const nodes = [];
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.textContent.trim() && !node.parentElement.closest('.sr-only, [aria-hidden]')) nodes.push(node);
    }
    const text = nodes.map(node => node.textContent).join(' ');
    if (names.some(n => text.includes(n))) continue;  // a user's name may wrap
    for (const node of nodes) {
      const range = document.createRange();
      range.selectNodeContents(node);
      const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
      if (tops.size > 1) wrapped.push(text.trim().replace(/\\s+/g, ' ').slice(0, 40));
    }
  }
  return wrapped;
}"""

# Words of a choice's label (a checkbox or radio pill) broken over two lines: "Donnersta|g" (a line
# may still end at a hyphen or a dash: "e-|mail", "1–|100").
BROKEN_WORDS = """() => {
  const broken = [];
  for (const el of document.querySelectorAll('.check, .segmented label')) {
    if (!el.checkVisibility() || el.closest('.sr-only')) continue;
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.parentElement.closest('.sr-only, [aria-hidden]')) continue;
      for (const match of node.textContent.matchAll(/[^\\s\u2010-\u2015-]+/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
        if (tops.size > 1) broken.push(match[0]);
      }
    }
  }
  return broken;
}"""


@pytest.fixture
def long_names(session, make_org, make_user, make_customer):
    """A team whose every name is a 60-character compound: an admin, a coach and a rep, with all there is."""
    team_name, person, company, title = COMPOUNDS
    now = clock.now()
    team = make_org(team_name)
    admin = make_user(team=team, role=Role.admin, name=person, email="admin@example.com")
    coach = make_user(team=team, role=Role.coach, name=company + " Coach", email="coach@example.com")
    rep = make_user(team=team, name=title, email="rep@example.com", workdays=[0, 1, 2, 3, 4, 5, 6])
    rep.created_at = now - timedelta(days=40)
    customer = make_customer(rep, person, company=company, tier="A", now=now - timedelta(days=30),
                             notes=f"{title} {company}")
    make_customer(rep, company, company=title, tier="B", now=now - timedelta(days=2))  # new
    touch = touch_ops.log_touch(session, user=rep, customer_id=customer.id, kind="coffee", note=f"{title} {person}",
                                now=now - timedelta(days=1)).touch
    make_customer(admin, title, company=person, tier="C", now=now - timedelta(days=40))
    follow_up_ops.plan_follow_up(session, actor=rep, customer_id=customer.id, due_day=now.date(), kind="visit",
                                 note=company, now=now)
    today = rep.today(now)
    away.add_away_period(session, rep, {"first_day": (today + timedelta(days=9)).isoformat(),
                                        "last_day": (today + timedelta(days=12)).isoformat(),
                                        "reason": "other", "note": person}, now=now)
    away.add_team_holiday(session, admin, {"name": title, "first_day": (today + timedelta(days=20)).isoformat(),
                                           "last_day": (today + timedelta(days=20)).isoformat()}, now=now)
    crisis.start_crisis(session, admin, reason=company, message=f"{person} {title}", now=now)
    challenge = challenges.create_challenge(session, admin, {
        "title": title, "description": f"{company} {person}", "metric": "team_touches", "target": "20",
        "starts_at": challenges.local_input(now - timedelta(hours=1), admin.timezone),
        "ends_at": challenges.local_input(now + timedelta(days=5), admin.timezone)}, now=now)
    kudos.give(session, admin, touch.id, note=person, now=now)
    invites.create_invite(session, admin, now=now, email="new.rep@example.com", locale="de")
    join = invites.create_invite(session, admin, now=now).token
    reset = password_reset.request_reset(session, rep.email, now=now, lifetime=timedelta(hours=1)).token
    session.commit()
    pages = {
        "rep": ["/", "/customers/", f"/customers/{customer.id}", f"/customers/{customer.id}/edit", "/customers/new",
                "/customers/import", "/touches/", "/touches/new", f"/touches/new?customer_id={customer.id}",
                f"/touches/{touch.id}", f"/touches/{touch.id}/edit", f"/touches/{touch.id}/delete", "/streak",
                "/badges", "/challenges/", f"/challenges/{challenge.id}", "/team/", "/settings/",
                "/settings/reminders/"],
        "coach": ["/", "/customers/", f"/customers/{customer.id}", "/team/", f"/team/reps/{rep.id}",
                  f"/team/reps/{rep.id}/touches", f"/team/reps/{rep.id}/kudos", f"/team/members/{rep.id}",
                  "/challenges/", "/challenges/new", f"/challenges/{challenge.id}", "/badges"],
        "admin": ["/", "/team/", f"/team/members/{coach.id}", f"/team/members/{admin.id}", "/customers/",
                  "/settings/"],
        None: ["/login", "/register", f"/join/{join}", "/password/forgot", f"/password/reset/{reset}", "/offline",
               f"/settings/weekly-mail/unsubscribe/{weekly_mail.unsubscribe_token(rep, secret=LIVE_SECRET)}"],
    }
    return {"rep": rep, "coach": coach, "admin": admin}, pages


def _measure(page, lang: str) -> dict:
    """Return what is wrong with the page as shown: wider than the screen, buttons on two lines (German),
    a word of a checkbox or radio label broken over two lines."""
    problems = {}
    overflow = page.evaluate(OVERFLOW)
    if overflow["scroll"] > overflow["width"]:
        problems["wider than the screen"] = overflow
    if lang == "de":
        wrapped = page.evaluate(WRAPPED_BUTTONS, list(COMPOUNDS))
        if wrapped:
            problems["buttons on two lines"] = wrapped
    broken = page.evaluate(BROKEN_WORDS)
    if broken:
        problems["words broken in a choice"] = broken
    return problems


def _check(page, path: str, lang: str) -> dict:
    response = page.goto(path)
    assert response is not None and response.ok, f"{path}: {response and response.status}"
    return _measure(page, lang)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s['width']}x{s['height']}")
@pytest.mark.parametrize("lang", ["en", "de"])
def test_no_page_is_wider_than_the_phone_and_no_button_wraps(browser, live_server, session, long_names, size, lang):
    people, pages = long_names
    problems: dict[str, dict] = {}
    for who in ("rep", "coach", "admin", None):
        context = browser.new_context(viewport=size, is_mobile=True, has_touch=True, device_scale_factor=1,
                                      locale="de-DE" if lang == "de" else "en-US", timezone_id="Europe/Berlin",
                                      base_url=live_server)
        context.set_default_timeout(10_000)
        page = context.new_page()
        try:
            if who is not None:
                session.rollback()  # a fresh snapshot: the server wrote meanwhile (a challenge page fixes targets)
                people[who].locale = lang
                session.commit()
                sign_in(page, people[who].email)
            for path in pages[who]:
                found = _check(page, path, lang)
                if found:
                    problems[f"{who or 'signed out'} {path}"] = found
            if who == "rep":  # the log panel open, with its kinds, on Today and on the customer page
                for path in ("/", pages["rep"][2]):
                    page.goto(path)
                    page.get_by_test_id("log-touch").first.click()
                    found = _measure(page, lang)
                    if found:
                        problems[f"rep {path} (log panel open)"] = found
        finally:
            context.close()
    assert problems == {}


def test_the_import_preview_scrolls_inside_its_table(page, session, long_names):
    people, _pages = long_names
    page.set_viewport_size(SIZES[0])
    sign_in(page, people["rep"].email)
    page.goto("/customers/import")
    rows = "\n".join(f"{COMPOUNDS[n % 4]},{COMPOUNDS[(n + 1) % 4]},kunde{n}@example.com,A" for n in range(3))
    page.fill("#f-text", "name,company,email,tier\n" + rows)
    page.get_by_role("button", name="Check the file").click()
    table = page.locator(".table-scroll").first
    table.wait_for()
    overflow = page.evaluate(OVERFLOW)
    assert overflow["scroll"] <= overflow["width"], overflow
    assert table.evaluate("el => el.scrollWidth > el.clientWidth")  # the table scrolls in its own box


# Rows of a grid or list whose cells must line up: each row's items share a top and a height
# (kinds), or each row's position number and name start at the same x (ranking).
KIND_ROWS = """() => {
  const rows = {};
  for (const b of document.querySelectorAll('.logtouch details[open] .kinds button')) {
    const box = b.getBoundingClientRect();
    (rows[Math.round(box.top)] = rows[Math.round(box.top)] || []).push(Math.round(box.height));
  }
  return Object.values(rows);
}"""
RANK_COLUMNS = """() => [...document.querySelectorAll('[data-testid=ranking] li')].map(li => [
  Math.round(li.querySelector('.position').getBoundingClientRect().right),
  Math.round(li.querySelector('.rank-main strong').getBoundingClientRect().left)])"""


@pytest.mark.parametrize("lang", ["en", "de"])
def test_kind_buttons_and_ranking_rows_line_up(page, session, long_names, make_user, lang):
    people, pages = long_names
    rep = people["rep"]
    make_user(team=rep.team, name="Ute")  # a short name beside the long one in the ranking
    rep.locale = lang
    session.commit()
    page.set_viewport_size(SIZES[0])
    sign_in(page, rep.email)
    page.goto("/")
    page.get_by_test_id("log-touch").first.click()
    rows = page.evaluate(KIND_ROWS)
    assert len(rows) >= 3 and all(len(set(heights)) == 1 for heights in rows), rows
    assert len({height for heights in rows for height in heights}) == 1, rows  # one label line each
    page.goto(pages["rep"][15])  # the challenge's board
    columns = page.evaluate(RANK_COLUMNS)
    assert len(columns) >= 2 and len({tuple(c) for c in columns}) == 1, columns
