"""Accessibility in Chromium: axe-core on every page for a rep and a coach, keyboard, tap targets.

axe-core comes from the npm registry (package.json; ``npm ci`` puts it in node_modules). The
context bypasses the page's CSP only so that Playwright may inject it; the app's own pages never
need that.
"""

from __future__ import annotations

from datetime import timedelta
import pytest

from app import ROOT, clock
from app.kinds import Role
from app.models import Challenge, CrisisPeriod, Customer, FollowUp, Touch, User
from app.operations import password_reset, weekly_mail

from .conftest import LIVE_SECRET, PHONE, _unavailable

from .helpers import sign_in

pytestmark = pytest.mark.browser

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")
MIN_TAP = 44

RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' — ' + n.failureSummary.split('\\n').slice(1, 2).join(''))
  }));
}"""

# Controls in the page (not text links inside a sentence, which WCAG 2.5.8 exempts) smaller than
# the minimum tap size.
SMALL_TARGETS = """(min) => {
  const controls = document.querySelectorAll(
    'main button, main .button, main summary, main select, main input:not([type=hidden]), main textarea, ' +
    'main a, nav a, header a, header button');
  const small = [];
  for (const el of controls) {
    const box = el.getBoundingClientRect();
    if (!el.checkVisibility({contentVisibilityAuto: true, visibilityProperty: true}) || !box.width) continue;
    if (el.closest('.sr-only, .skip')) continue;
    if (el.matches('input[type=checkbox], input[type=radio]')) {
      const label = el.closest('label');
      const target = label ? label.getBoundingClientRect() : box;
      if (target.height < min) small.push(['label', (label || el).textContent.trim().slice(0, 40), Math.round(target.height)]);
      continue;
    }
    const inline = el.tagName === 'A' && !el.classList.contains('button') && getComputedStyle(el).display === 'inline'
      && el.parentElement && el.parentElement.textContent.trim() !== el.textContent.trim();
    if (inline) continue;
    if (box.height < min - 0.5 || box.width < min - 0.5) {
      small.push([el.tagName.toLowerCase() + (el.className ? '.' + el.className.split(' ').join('.') : ''),
                  (el.textContent || el.getAttribute('aria-label') || '').trim().slice(0, 40),
                  Math.round(box.width) + 'x' + Math.round(box.height)]);
    }
  }
  return small;
}"""

# Every visible control of the page, marked, so that a walk with the Tab key can be checked.
MARK_CONTROLS = """() => {
  const controls = [...document.querySelectorAll('a[href], button, summary, select, input:not([type=hidden]), textarea')]
    .filter(el => {
      const box = el.getBoundingClientRect();
      return box.width > 0 && !el.disabled && !el.closest('.sr-only')
        && el.checkVisibility({contentVisibilityAuto: true, visibilityProperty: true});
    });
  controls.forEach((el, i) => el.setAttribute('data-a11y', String(i)));
  return controls.length;
}"""


@pytest.fixture
def axe_page(browser, app, live_server):
    """A phone-sized page whose context lets Playwright inject axe-core despite the strict CSP."""
    if not AXE.exists():
        _unavailable(f"{AXE} is missing (run npm ci)")
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=1,
                                  locale="en-US", timezone_id="Europe/Berlin", base_url=live_server, bypass_csp=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def team(session, make_org, make_user, make_customer):
    """A coach and a rep with customers in every warmth, touches and an archived customer."""
    team = make_org("Nordlicht GmbH")
    coach = make_user(team=team, role=Role.coach, name="Katrin Coach", email="katrin@example.com")
    rep = make_user(team=team, name="Lena Rep", email="lena@example.com", workdays=[0, 1, 2, 3, 4, 5, 6])
    now = clock.now()
    quiet = make_customer(rep, "Müller AG", tier="A", now=now - timedelta(days=40))
    make_customer(rep, "Schmidt KG", tier="B", now=now - timedelta(days=11))
    make_customer(rep, "Weber Druck", tier="C", now=now - timedelta(days=2))
    albrecht = make_customer(coach, "Albrecht Gruppe", tier="A", now=now - timedelta(days=40))
    today = now.date()
    # The coach is done for today (the green badge); the rep's streak is at risk (the amber one).
    session.add(Touch(organization_id=coach.organization_id, user_id=coach.id, customer_id=albrecht.id, kind="visit",
                      occurred_at=now, local_day=clock.local_day(now, coach.timezone), created_at=now))
    for back, kind in ((1, "letter"), (2, "coffee"), (3, "call")):
        at = now - timedelta(days=back)
        session.add(Touch(organization_id=rep.organization_id, user_id=rep.id, customer_id=quiet.id, kind=kind,
                          occurred_at=at, local_day=today - timedelta(days=back), created_at=at))
    # A next touch planned by the coach, overdue: on Today, in the list and on the customer page.
    session.add(FollowUp(organization_id=rep.organization_id, customer_id=quiet.id, user_id=rep.id,
                         created_by_id=coach.id, due_day=today - timedelta(days=1), kind="visit", note="Bring the samples",
                         created_at=now - timedelta(days=2)))
    # An earlier crisis, ended: the charts shade its weeks.
    session.add(CrisisPeriod(team_id=team.id, started_at=now - timedelta(days=30), ended_at=now - timedelta(days=16),
                             reason="Strike"))
    # A running challenge, with the coach's ways to change it on its page.
    session.add(Challenge(organization_id=coach.organization_id, team_id=coach.team_id, created_by_id=coach.id,
                          title="Letters week", metric="kinds_used", target=5, starts_at=now - timedelta(days=1),
                          ends_at=now + timedelta(days=4), created_at=now - timedelta(days=2)))
    session.commit()
    return coach, rep, quiet


def _pages(session, user, customer_id: int | None) -> list[str]:
    pages = ["/", "/customers/", "/customers/new", "/customers/import", "/touches/", "/touches/new", "/streak",
             "/settings/", "/settings/reminders/", "/team/", "/badges", "/challenges/", "/touches/?kind=letter",
             "/touches/new?q=a"]
    challenge = session.query(Challenge).first()
    if challenge is not None:
        pages += [f"/challenges/{challenge.id}"]
        if user.is_coach:
            pages += [f"/challenges/{challenge.id}/{action}" for action in ("edit", "end", "delete")]
    if customer_id:
        pages += [f"/customers/{customer_id}", f"/customers/{customer_id}/edit"]
        # A customer with nothing planned: the next-touch form is open.
        unplanned = session.query(Customer).filter(Customer.owner_id == user.id, Customer.id != customer_id).first()
        pages += [f"/customers/{unplanned.id}"]
    touch = session.query(Touch).filter_by(user_id=user.id).first()
    if touch is not None:
        pages += [f"/touches/{touch.id}/edit"]
    # The Trends page (a rep gets a 404, which is skipped) and a rep's 1:1 sheet: their own, or the coach's rep's.
    rep = user if not user.is_coach else session.query(User).filter_by(team_id=user.team_id, role=Role.rep).first()
    pages += ["/team/trends", f"/team/reps/{rep.id}/sheet"]
    if user.is_coach:  # the coach's pages about a rep: drill-down, touches, kudos, the member's admin page
        rep = session.query(User).filter(User.team_id == user.team_id, User.id != user.id).first()
        pages += [f"/team/reps/{rep.id}", f"/team/reps/{rep.id}/touches", f"/team/reps/{rep.id}/kudos",
                  f"/team/members/{rep.id}"]
    return pages


def _audit(page, path: str) -> dict:
    response = page.goto(path)
    if response is None or response.status == 404:
        return {}
    assert response.ok, f"{path}: {response.status}"
    page.add_script_tag(path=str(AXE))
    findings = {}
    serious = [v for v in page.evaluate(RUN_AXE) if v["impact"] in SERIOUS]
    if serious:
        findings["axe"] = serious
    small = page.evaluate(SMALL_TARGETS, MIN_TAP)
    if small:
        findings["small tap targets"] = small
    return findings


@pytest.mark.parametrize(("who", "scheme"), [("rep", "light"), ("coach", "light"), ("rep", "dark")])
def test_every_page_passes_axe_and_has_big_enough_tap_targets(axe_page, session, team, who, scheme):
    coach, rep, quiet = team
    user = rep if who == "rep" else coach
    axe_page.emulate_media(color_scheme=scheme)
    sign_in(axe_page, user.email)
    problems = {}
    for path in _pages(session, user, quiet.id if who == "rep" else None):
        findings = _audit(axe_page, path)
        if findings:
            problems[path] = findings
    # Today with a log panel open: the kinds, the note, the day and the direction.
    axe_page.goto("/")
    axe_page.get_by_test_id("log-touch").first.click()
    axe_page.add_script_tag(path=str(AXE))
    opened = [v for v in axe_page.evaluate(RUN_AXE) if v["impact"] in SERIOUS]
    opened_small = axe_page.evaluate(SMALL_TARGETS, MIN_TAP)
    if opened or opened_small:
        problems["/ (log panel open)"] = {"axe": opened, "small tap targets": opened_small}
    assert problems == {}


def test_signed_out_pages_pass_axe(axe_page, session, make_user):
    user = make_user()
    reset = password_reset.request_reset(session, user.email, now=clock.now(), lifetime=timedelta(hours=1))
    unsubscribe = weekly_mail.unsubscribe_token(user, secret=LIVE_SECRET)
    session.commit()
    paths = ("/", "/login", "/register", "/offline", "/password/forgot", f"/password/reset/{reset.token}",
             f"/settings/weekly-mail/unsubscribe/{unsubscribe}")
    problems = {path: findings for path in paths if (findings := _audit(axe_page, path))}
    assert problems == {}


def test_the_pages_after_a_link_no_longer_works_pass_axe(axe_page):
    for path in ("/password/reset/unknown", "/settings/weekly-mail/unsubscribe/unknown"):
        axe_page.goto(path)
        axe_page.add_script_tag(path=str(AXE))
        assert [v for v in axe_page.evaluate(RUN_AXE) if v["impact"] in SERIOUS] == [], path
        assert axe_page.evaluate(SMALL_TARGETS, MIN_TAP) == [], path


def test_every_control_on_today_is_reachable_by_keyboard(axe_page, session, team):
    _coach, rep, _quiet = team
    sign_in(axe_page, rep.email)
    axe_page.goto("/")
    total = axe_page.evaluate(MARK_CONTROLS)
    assert total > 10
    reached: set[str] = set()
    axe_page.locator("body").focus()
    for _ in range(total * 2 + 5):
        axe_page.keyboard.press("Tab")
        mark = axe_page.evaluate("document.activeElement && document.activeElement.getAttribute('data-a11y')")
        if mark is not None:
            reached.add(mark)
        if len(reached) == total:
            break
    missing = axe_page.evaluate(
        "(reached) => [...document.querySelectorAll('[data-a11y]')].filter(el => !reached.includes(el.dataset.a11y))"
        ".map(el => el.outerHTML.slice(0, 120))", sorted(reached))
    assert missing == []
    # The two-tap logging works from the keyboard too: Enter opens the panel, a kind is a button.
    axe_page.get_by_test_id("log-touch").first.focus()
    axe_page.keyboard.press("Enter")
    kind = axe_page.locator('button[data-kind="call"]').first
    assert kind.is_visible()


def test_warmth_streak_and_badges_never_rely_on_colour_alone(axe_page, session, team):
    _coach, rep, _quiet = team
    sign_in(axe_page, rep.email)
    for path in ("/", "/customers/", "/streak", "/badges"):
        response = axe_page.goto(path)
        if response.status == 404:
            continue
        # Every coloured state marker carries text (or a symbol and text), not only a colour.
        silent = axe_page.evaluate("""() => [...document.querySelectorAll('.pill, .badge, .flame, [class*="warmth-"]')]
            .filter(el => !el.closest('[hidden]') && el.getBoundingClientRect().width > 0)
            .filter(el => !(el.textContent.trim() || el.getAttribute('aria-label') || el.getAttribute('title')))
            .map(el => el.outerHTML.slice(0, 120))""")
        assert silent == [], path
    axe_page.goto("/customers/")
    pills = axe_page.locator(".pill").all_inner_texts()
    assert any("Quiet" in text for text in pills) and all(text.strip() for text in pills)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_import_preview_with_duplicates_passes_axe(axe_page, session, team, scheme):
    """The import page's second state, after an upload: columns read, ignored ones, duplicate choices."""
    _coach, rep, quiet = team
    axe_page.emulate_media(color_scheme=scheme)
    sign_in(axe_page, rep.email)
    axe_page.goto("/customers/import")
    axe_page.set_input_files("#f-file", str(ROOT / "tests" / "data" / "imports" / "salesforce_accounts_report.csv"))
    axe_page.get_by_role("button", name="Check the file").click()
    axe_page.get_by_test_id("import-duplicate").first.wait_for()  # Müller AG is a customer already
    axe_page.locator("details.import-ignored summary").click()
    axe_page.add_script_tag(path=str(AXE))
    serious = [v for v in axe_page.evaluate(RUN_AXE) if v["impact"] in SERIOUS]
    small = axe_page.evaluate(SMALL_TARGETS, MIN_TAP)
    assert {"axe": serious, "small tap targets": small} == {"axe": [], "small tap targets": []}


def test_axe_is_the_pinned_package():
    import json

    lock = json.loads((ROOT / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/axe-core"]["version"] == json.loads(
        (ROOT / "package.json").read_text())["devDependencies"]["axe-core"]
