"""Finding lamps: search by name or room, quick filters (Semua / Menyala / Offline), favourites pinned on top
and kept on the server across browsers."""

from playwright.sync_api import expect

from conftest import ADMIN
from test_lamps import fake_lamp, lamps_page, tile


def visible_ids(page):
    return sorted(page.eval_on_selector_all("article.tile", "els => els.filter(e => !e.hidden && e.offsetParent)"
                                            ".map(e => e.dataset.id)"))


def test_search_and_filters(open_page, household, admin_api, observer):
    offline_id = fake_lamp(observer, admin_api, "Lampu Jemuran", "Belakang", "OFF")
    w = lamps_page(open_page)
    page = w.page
    search = page.get_by_label("Cari lampu atau ruangan")
    search.fill("tamu")
    assert visible_ids(page) == ["rumah_000001", "rumah_000002"]
    search.fill("DAPUR")
    assert visible_ids(page) == ["rumah_000003"]
    search.fill("tidak ada lampu seperti ini")
    expect(page.locator(".empty")).to_have_text("Tidak ada lampu yang cocok.")
    search.fill("")
    observer.publish(f"tele/{offline_id}/LWT", "Offline", retain=True)
    expect(tile(page, offline_id)).to_have_attribute("data-state", "offline")
    page.get_by_role("button", name="Offline", exact=True).click()
    expect(page.get_by_role("button", name="Offline", exact=True)).to_have_attribute("aria-pressed", "true")
    ids = visible_ids(page)
    assert offline_id in ids
    assert all(page.locator(f"article.tile[data-id='{i}']").get_attribute("data-state") == "offline" for i in ids)
    page.get_by_role("button", name="Menyala", exact=True).click()
    assert all(page.locator(f"article.tile[data-id='{i}']").get_attribute("data-state") == "on"
               for i in visible_ids(page))
    page.get_by_role("button", name="Semua", exact=True).click()
    assert len(visible_ids(page)) >= 7
    observer.publish(f"tele/{offline_id}/LWT", "Online", retain=True)


def test_favourites_are_pinned_and_kept_on_the_server(open_page, household, admin_api):
    w = lamps_page(open_page)
    page = w.page
    star = tile(page, "rumah_000004").get_by_role("button", name="Favorit")
    if star.get_attribute("aria-pressed") == "true":
        star.click()
    star.click()
    favourites = page.locator("section.room-favourites")
    expect(favourites.locator("article.tile[data-id='rumah_000004']")).to_have_count(1)
    assert page.locator("section.room").first.get_attribute("class").find("room-favourites") >= 0
    assert "rumah_000004" in admin_api.get("/api/v1/profile")["preferences"]["favourites"]
    other = lamps_page(open_page)
    expect(other.page.locator("section.room-favourites article.tile[data-id='rumah_000004']")).to_have_count(1)
    other.page.locator("section.room-favourites article.tile[data-id='rumah_000004']") \
        .get_by_role("button", name="Favorit").click()
    expect(other.page.locator("section.room-favourites")).to_have_count(0)
    assert "rumah_000004" not in admin_api.get("/api/v1/profile")["preferences"]["favourites"]
