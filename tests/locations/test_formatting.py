import pytest

from locations.formatting import formatted_address


@pytest.mark.parametrize(
    ("country_code", "parts", "expected"),
    [
        ("BE", dict(street1="Korenmarkt 1", postal_code="9000", city="Gent"), "Korenmarkt 1, 9000 Gent, BE"),
        ("DK", dict(street1="Rådhuspladsen 1", postal_code="1550", city="København V"), "Rådhuspladsen 1, 1550 København V, DK"),
        ("DE", dict(street1="Marienplatz 8", postal_code="80331", city="München", state="Bayern"), "Marienplatz 8, 80331 München, DE"),
        ("GR", dict(street1="Πανεπιστημίου 30", postal_code="106 79", city="Αθήνα"), "Πανεπιστημίου 30, 106 79 Αθήνα, GR"),
        ("FR", dict(street1="1 rue de Rivoli", street2="Bâtiment B", postal_code="75001", city="Paris"), "1 rue de Rivoli, Bâtiment B, 75001 Paris, FR"),
        ("NL", dict(street1="Spui 70", postal_code="2511 BT", city="Den Haag"), "Spui 70, 2511 BT Den Haag, NL"),
        ("NO", dict(street1="Karl Johans gate 1", postal_code="0154", city="Oslo"), "Karl Johans gate 1, 0154 Oslo, NO"),
        ("PL", dict(street1="ul. Floriańska 1", postal_code="31-019", city="Kraków"), "ul. Floriańska 1, 31-019 Kraków, PL"),
        ("ES", dict(street1="Calle Mayor 1", postal_code="28013", city="Madrid", state="Madrid"), "Calle Mayor 1, 28013 Madrid, Madrid, ES"),
        ("GB", dict(street1="10 Downing Street", postal_code="SW1A 2AA", city="London"), "10 Downing Street, London, SW1A 2AA, GB"),
        ("IE", dict(street1="1 O'Connell St", postal_code="D01 F5P2", city="Dublin", state="Co. Dublin"), "1 O'Connell St, Dublin, Co. Dublin, D01 F5P2, IE"),
        ("US", dict(street1="1 Main St", postal_code="62701", city="Springfield", state="IL"), "1 Main St, Springfield, IL 62701, US"),
        ("JP", dict(street1="1-1 Chiyoda", postal_code="100-8111", city="Chiyoda-ku", state="Tokyo"), "1-1 Chiyoda, Chiyoda-ku, Tokyo 100-8111, JP"),
        ("JP", dict(street1="千代田1-1", postal_code="100-8111", city="千代田区", state="東京都"), "JP 〒100-8111 東京都千代田区千代田1-1"),
        ("XX", dict(postal_code="1000", city="Somewhere", state="Region"), "1000 Somewhere, Region, XX"),
    ],
)
def test_parts_come_in_the_order_the_country_writes_them(country_code, parts, expected):
    assert formatted_address(country_code=country_code, **{"postal_code": None, "city": None, **parts}) == expected


def test_missing_parts_leave_no_stray_separators():
    assert formatted_address(country_code="US", postal_code=None, city="Springfield", state=None) == "Springfield, US"
    assert formatted_address(country_code="BE", postal_code=None, city=None) == "BE"
