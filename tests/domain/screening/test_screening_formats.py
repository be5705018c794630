from __future__ import annotations

from pathlib import Path

import pytest

from caveat.domain.screening import (
    PartyKind,
    ScreeningFormatError,
    parse_csl,
    parse_generic,
    parse_ofac_sdn,
)

SDN = Path(__file__).parents[2] / "data" / "screening" / "sdn-2024-05-03.csv"


@pytest.fixture(scope="module")
def sdn_text() -> str:
    assert SDN.exists(), f"the OFAC SDN file is missing from the repository: {SDN}"
    return SDN.read_text(encoding="latin-1")


def test_the_real_sdn_list_reads_completely(sdn_text: str) -> None:
    parties = parse_ofac_sdn(sdn_text)
    assert len(parties) == 14965  # every row of the 2024-05-03 file (wc -l; DOS EOF mark)
    by_id = {p.entry_id: p for p in parties}
    castellanos = by_id["8150"]
    assert castellanos.name == "CASTELLANOS GARZON, Henry"
    assert castellanos.kind is PartyKind.INDIVIDUAL
    assert castellanos.aliases == ("ROMANA, Edison", "ROMANA")
    assert castellanos.programs == ("SDGT",)
    assert castellanos.nations == ("Colombia",)
    assert by_id["306"].aliases == ("BNC",)
    assert by_id["36"].kind is PartyKind.ENTITY  # -0- type means an entity
    assert {p.kind for p in parties} == set(PartyKind)


def test_alt_csv_adds_aliases() -> None:
    sdn = '306,"BANCO NACIONAL DE CUBA",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n'
    alt = '306,219,"a.k.a.","NATIONAL BANK OF CUBA",-0- \r\n'
    [party] = parse_ofac_sdn(sdn, alt)
    assert party.aliases == ("NATIONAL BANK OF CUBA",)


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ('1,"A",-0- ,"X",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n2,"B",-0-\n', 2, 4),
        ('x,"A",-0- ,"X",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n', 1, 1),
        ('1,"",-0- ,"X",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n', 1, 2),
        (
            '1,"A",-0- ,"X",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n'
            '1,"B",-0- ,"X",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n',
            2,
            1,
        ),
    ],
)
def test_a_bad_sdn_file_names_line_and_column_and_imports_nothing(
    text: str, line: int, column: int
) -> None:
    with pytest.raises(ScreeningFormatError) as caught:
        parse_ofac_sdn(text)
    assert caught.value.data == {"line": line, "column": column}
    assert caught.value.detail.startswith(f"line {line}, column {column}:")


CSL = (
    "_id,source,entity_number,type,programs,name,title,addresses,alt_names,citizenships,"
    "nationalities,remarks\n"
    'e1,Entity List (EL) - Bureau of Industry and Security,,Entity,,"Aster Dynamics",,'
    '"1 Road, City","Aster Dyn; AD Holdings",,,"license required"\n'
    "e2,Specially Designated Nationals (SDN) - Treasury Department,1234,Individual,SDGT,"
    '"PETROV, Ivan",,,,RU,RU,\n'
)


def test_the_consolidated_screening_list_format() -> None:
    entity, person = parse_csl(CSL)
    assert entity.source == "CSL: Entity List (EL) - Bureau of Industry and Security"
    assert entity.aliases == ("Aster Dyn", "AD Holdings")
    assert entity.kind is PartyKind.ENTITY
    assert person.kind is PartyKind.INDIVIDUAL
    assert person.nations == ("RU",)
    assert person.programs == ("SDGT",)


def test_csl_needs_its_columns_and_consistent_rows() -> None:
    with pytest.raises(ScreeningFormatError, match="no 'alt_names' column"):
        parse_csl("_id,source,type,name\n1,x,Entity,Y\n")
    with pytest.raises(ScreeningFormatError) as caught:
        parse_csl(CSL + "e3,Entity List,,Entity\n")
    assert caught.value.data["line"] == 4


def test_the_generic_format() -> None:
    parties = parse_generic(
        "name,aliases,kind\nNorth Star Shipping,NSS; Polaris Lines,entity\nJane Roe,,individual\n",
        source="internal watch list",
    )
    assert [p.name for p in parties] == ["North Star Shipping", "Jane Roe"]
    assert parties[0].aliases == ("NSS", "Polaris Lines")
    assert parties[0].source == "internal watch list"
    with pytest.raises(ScreeningFormatError) as caught:
        parse_generic("name,kind\nX,spaceship\n")
    assert caught.value.data == {"line": 2, "column": 2}
    with pytest.raises(ScreeningFormatError, match="empty"):
        parse_generic("")
    with pytest.raises(ScreeningFormatError, match="not valid CSV"):
        parse_generic('name\n"unterminated\n')
