"""Imports in a real browser at phone size: files as the tools write them, duplicates, the contact picker."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from app.models import Customer

from .helpers import playwright_expect, sign_in

pytestmark = pytest.mark.browser

DATA = Path(__file__).resolve().parent.parent / "data" / "imports"

PICKED = [
    {"name": ["Elif Kaya"], "email": ["elif.kaya@kaya-design.example"], "tel": ["0152 33445566"]},
    {"name": ["Greta Lindqvist"], "email": [], "tel": ["+46 70 555 12 34", "+46 8 555 1200"]},
]
# Chromium on Linux has no Contact Picker: this stands in for Android Chrome's, and keeps what it
# was asked for in sessionStorage (the page may be swapped, the tab stays).
PICKER = """
window.ContactsManager = function ContactsManager() {};
Object.defineProperty(navigator, "contacts", {configurable: true, value: {
  getProperties: async () => ["name", "email", "tel"],
  select: async (properties, options) => {
    sessionStorage.setItem("picker-call", JSON.stringify({properties, options}));
    return %s;
  }
}});
""" % json.dumps(PICKED)


def _upload(page, name: str) -> None:
    page.goto("/customers/import")
    page.set_input_files("#f-file", str(DATA / name))
    page.get_by_role("button", name="Check the file").click()


def test_upload_a_vcard_and_an_outlook_german_export_merge_one_skip_another(page, session, make_user, make_customer):
    expect = playwright_expect()
    rep = make_user(email="rita@example.com", name="Rita Rep")
    anna = make_customer(rep, "Anna Berg", company="Berg Logistik KG", notes="Met at the fair.")
    hans = make_customer(rep, "Hans Schmidt", email="hans.schmidt@schmidt-maschinenbau.example")
    session.commit()
    sign_in(page, rep.email)

    # Apple Contacts' vCards: Anna Berg is already a customer; merge her.
    _upload(page, "apple_contacts.vcf")
    expect(page.get_by_test_id("import-layout")).to_have_text("Recognised: vCard · read as UTF-8")
    rows = page.get_by_test_id("import-row")
    expect(rows).to_have_count(3)
    anna_row = rows.filter(has_text="Already a customer")
    expect(anna_row).to_have_count(1)
    expect(anna_row.get_by_role("link", name="Anna Berg (Berg Logistik KG)")).to_have_attribute(
        "href", f"/customers/{anna.id}")
    expect(anna_row.get_by_label("Skip")).to_be_checked()
    anna_row.get_by_text("Merge", exact=True).click()
    expect(anna_row.get_by_label("Merge")).to_be_checked()
    page.screenshot(path="/tmp/import-vcard-preview.png", full_page=True)
    page.get_by_test_id("import-confirm").click()
    page.wait_for_url("**/customers/")
    expect(page.locator(".flash")).to_contain_text(
        "2 customers were imported. 1 duplicate was merged into the existing customer.")
    for name in ("Peter Schulz", "Gasthaus Zur Linde", "Anna Berg"):
        expect(page.get_by_role("link", name=name, exact=True)).to_have_count(1)

    # Outlook's German export, in Windows-1252: Hans Schmidt is already a customer; skip him.
    _upload(page, "outlook_contacts_de.csv")
    expect(page.get_by_test_id("import-layout")).to_have_text("Recognised: Outlook (German) · read as Windows-1252")
    expect(page.get_by_test_id("import-reads")).to_contain_text("Vorname, Weitere Vornamen, Nachname")
    ignored = page.get_by_test_id("import-ignored")
    expect(ignored).not_to_have_attribute("open", "")
    expect(ignored.get_by_text("Geburtstag", exact=False)).to_be_hidden()
    ignored.locator("summary").click()
    expect(ignored.get_by_text("Geburtstag", exact=False)).to_be_visible()
    hans_row = page.get_by_test_id("import-row").filter(has_text="Already a customer")
    expect(hans_row).to_contain_text("same e-mail")
    expect(hans_row.get_by_role("link", name="Hans Schmidt")).to_have_attribute("href", f"/customers/{hans.id}")
    hans_row.get_by_text("Merge", exact=True).click()
    hans_row.get_by_text("Skip", exact=True).click()
    expect(hans_row.get_by_label("Skip")).to_be_checked()
    page.get_by_test_id("import-confirm").click()
    page.wait_for_url("**/customers/")
    expect(page.locator(".flash")).to_contain_text("2 customers were imported. 1 duplicate was skipped.")
    for name in ("Jürgen Weiß", "Ängelika Maria von Bülow", "Hans Schmidt"):
        expect(page.get_by_role("link", name=name, exact=True)).to_have_count(1)

    session.commit()  # end this session's snapshot, to see what the server wrote
    assert len(session.scalars(select(Customer).where(Customer.owner_id == rep.id)).all()) == 6
    assert (anna.email, anna.phone) == ("anna.berg@berg-logistik.example", "+49 30 1234567")
    assert anna.notes == "Met at the fair.\n\nRückruf nach der Messe, bitte vormittags."
    assert (hans.company, hans.phone) == (None, None)  # skipped: nothing filled in
    page.goto(f"/customers/{anna.id}")
    expect(page.locator("main")).to_contain_text("anna.berg@berg-logistik.example")


def test_the_choice_for_all_duplicates_sets_every_row(page, session, make_user, make_customer):
    expect = playwright_expect()
    rep = make_user(email="rita@example.com")
    make_customer(rep, "Anna Berg", company="Berg Logistik KG")
    make_customer(rep, "Peter Schulz", company="Schulz Logistik GmbH")
    session.commit()
    sign_in(page, rep.email)
    _upload(page, "apple_contacts.vcf")
    duplicates = page.get_by_test_id("import-row").filter(has_text="Already a customer")
    expect(duplicates).to_have_count(2)
    page.get_by_label("All duplicates").select_option("merge")
    for i in range(2):
        expect(duplicates.nth(i).get_by_label("Merge")).to_be_checked()
    duplicates.nth(0).get_by_text("Skip", exact=True).click()
    expect(page.get_by_label("All duplicates")).to_have_value("")
    page.get_by_test_id("import-confirm").click()
    page.wait_for_url("**/customers/")
    expect(page.locator(".flash")).to_contain_text("1 duplicate was merged into the existing customer. "
                                                   "1 duplicate was skipped.")


def test_the_contact_picker_button_is_absent_without_the_api(page, session, make_user):
    expect = playwright_expect()
    rep = make_user(email="rita@example.com")
    session.commit()
    sign_in(page, rep.email)
    page.goto("/customers/import")
    assert page.evaluate("'contacts' in navigator && 'ContactsManager' in window") is False
    expect(page.get_by_test_id("contact-picker")).to_be_hidden()
    expect(page.get_by_role("button", name="Pick from your phone")).to_have_count(0)
    expect(page.get_by_role("button", name="Check the file")).to_be_visible()


def test_picked_phone_contacts_lead_to_their_preview_and_import(page, session, make_user):
    expect = playwright_expect()
    rep = make_user(email="rita@example.com")
    session.commit()
    page.context.add_init_script(PICKER)
    sign_in(page, rep.email)
    page.goto("/customers/import")
    button = page.get_by_role("button", name="Pick from your phone")
    expect(button).to_be_visible()
    page.screenshot(path="/tmp/import-picker.png", full_page=True)
    button.click()
    expect(page.get_by_test_id("import-layout")).to_have_text("Recognised: Contacts picked on your phone")
    assert json.loads(page.evaluate("sessionStorage.getItem('picker-call')")) == {
        "properties": ["name", "email", "tel"], "options": {"multiple": True}}
    rows = page.get_by_test_id("import-row")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Elif Kaya")
    expect(rows.nth(1)).to_contain_text("+46 70 555 12 34")
    page.get_by_test_id("import-confirm").click()
    page.wait_for_url("**/customers/")
    expect(page.locator(".flash")).to_contain_text("2 customers were imported.")
    expect(page.get_by_role("link", name="Greta Lindqvist", exact=True)).to_have_count(1)
