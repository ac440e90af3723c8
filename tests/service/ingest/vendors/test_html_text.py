"""HTML message bodies to plain text."""

from __future__ import annotations

from service.ingest.vendors.html_text import html_to_text


def test_html_to_text_drops_markup_scripts_and_decodes_entities() -> None:
    html = (
        "<style>x{}</style><p>A&amp;B&nbsp;&lt;ok&gt;</p>"
        "<script>alert(1)</script><ul><li>one</li><li>two</li></ul>"
    )
    assert html_to_text(html) == "A&B <ok>\n\none\n\ntwo"
    assert html_to_text("<p>unclosed <b>bold") == "unclosed bold"
    assert html_to_text("") == ""
