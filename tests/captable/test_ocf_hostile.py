"""Hostile and broken OCF packages: each is refused with a message naming the file (and, where
there is one, the item and the field), within the read limits, and writes nothing."""

import json
import struct
import zipfile
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command, execute_from_command_line

from apps.captable.models import Issuer, Movement, Security, Stakeholder
from apps.captable.ocf import OcfImportError, OcfPackageTooLarge
from apps.captable.ocf.importer import ocf_import
from apps.ledger.models import Operation

pytestmark = pytest.mark.django_db

VALID = Path(__file__).parent / "ocf_packages" / "valid"
CENTRAL_HEADER = b"PK\x01\x02"
KIB = 1024


def rows() -> dict[str, int]:
    return {
        "issuers": Issuer.objects.count(),
        "stakeholders": Stakeholder.objects.count(),
        "securities": Security.objects.count(),
        "movements": Movement.objects.count(),
        "operations": Operation.objects.count(),
    }


def refusal(path: Path, people: dict) -> OcfImportError:
    """Import ``path``, expecting a refusal that wrote nothing, and return the refusal."""
    before = rows()
    with pytest.raises(OcfImportError) as refused:
        ocf_import(path=path, **people)
    assert rows() == before
    return refused.value


def valid_files() -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(VALID.iterdir())}


def zipped(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return path


def with_item(files: dict[str, bytes], file: str, item_id: str, **fields) -> dict[str, bytes]:
    """Return ``files`` with the fields of item ``item_id`` of ``file`` replaced."""
    data = json.loads(files[file])
    item = next(item for item in data["items"] if item["id"] == item_id)
    for name, value in fields.items():
        *path, last = name.split("__")
        node = item
        for key in path:
            node = node[key]
        node[last] = value
    return {**files, file: json.dumps(data).encode()}


def zeros(size: int) -> bytes:
    return b"\0" * size


def declaring(archive: Path, member: str, size: int) -> Path:
    """Make the archive's directory declare ``size`` bytes for ``member``, whatever it holds."""
    data = bytearray(archive.read_bytes())
    start = data.find(CENTRAL_HEADER)
    while start != -1:
        (name_length,) = struct.unpack_from("<H", data, start + 28)
        if data[start + 46 : start + 46 + name_length] == member.encode():
            struct.pack_into("<I", data, start + 24, size)  # the uncompressed size
            archive.write_bytes(bytes(data))
            return archive
        start = data.find(CENTRAL_HEADER, start + 1)
    raise AssertionError(f"{member} is not in {archive}")


@pytest.fixture
def opened(monkeypatch) -> list[str]:
    """The names of the archive members inflated (opened for reading), in order."""
    names: list[str] = []
    original = zipfile.ZipFile.open

    def spy(self, name, mode="r", *args, **kwargs):
        if mode == "r":
            names.append(name.filename if isinstance(name, zipfile.ZipInfo) else name)
        return original(self, name, mode, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    return names


# --- read limits -------------------------------------------------------------------------------


def test_a_member_declaring_a_gibibyte_is_refused_by_default_before_it_is_inflated(
    people, tmp_path, opened
):
    archive = zipped(tmp_path / "bomb.ocf.zip", {**valid_files(), "Transactions.ocf.json": b""})
    declaring(archive, "Transactions.ocf.json", 2**30)

    refused = refusal(archive, people)

    assert isinstance(refused, OcfPackageTooLarge)
    assert refused.errors == [
        "Transactions.ocf.json: declares 1,073,741,824 bytes, over the limit of 104,857,600 "
        "bytes per file (OCF_IMPORT_MAX_FILE_BYTES)"
    ]
    assert "Transactions.ocf.json" not in opened


def test_a_zip_bomb_is_refused_naming_the_member_the_limit_and_the_setting(
    people, tmp_path, settings
):
    settings.OCF_IMPORT_MAX_FILE_BYTES = 64 * KIB
    archive = zipped(
        tmp_path / "bomb.ocf.zip", {**valid_files(), "Transactions.ocf.json": zeros(4 * 2**20)}
    )
    assert archive.stat().st_size < 16 * KIB

    refused = refusal(archive, people)

    assert refused.code == "ocf_package_too_large"
    assert refused.data["member"] == "Transactions.ocf.json"
    assert refused.data["setting"] == "OCF_IMPORT_MAX_FILE_BYTES"
    assert refused.data["limit"] == 64 * KIB
    assert refused.errors == [
        "Transactions.ocf.json: declares 4,194,304 bytes, over the limit of 65,536 bytes per "
        "file (OCF_IMPORT_MAX_FILE_BYTES)"
    ]


def test_a_member_under_declaring_its_size_is_stopped_by_counting_what_it_inflates_to(
    people, tmp_path, settings
):
    settings.OCF_IMPORT_MAX_FILE_BYTES = 64 * KIB
    archive = zipped(
        tmp_path / "liar.ocf.zip", {**valid_files(), "Transactions.ocf.json": zeros(2**20)}
    )
    declaring(archive, "Transactions.ocf.json", 100)

    refused = refusal(archive, people)

    assert isinstance(refused, OcfPackageTooLarge)
    assert refused.errors == [
        "Transactions.ocf.json: inflates to more than 65,536 bytes though it declares 100, "
        "over the limit of 65,536 bytes per file (OCF_IMPORT_MAX_FILE_BYTES)"
    ]


def test_a_member_over_declaring_its_size_within_the_limit_is_refused_as_corrupt(people, tmp_path):
    files = valid_files()
    archive = zipped(tmp_path / "liar.ocf.zip", files)
    declaring(archive, "Stakeholders.ocf.json", len(files["Stakeholders.ocf.json"]) + 10)

    refused = refusal(archive, people)

    assert refused.errors == [
        f"Stakeholders.ocf.json: is corrupt in the archive: it inflates to "
        f"{len(files['Stakeholders.ocf.json']):,} bytes but declares "
        f"{len(files['Stakeholders.ocf.json']) + 10:,}"
    ]


def test_the_bytes_of_all_files_together_are_limited(people, tmp_path, settings):
    files = valid_files()
    total = sum(map(len, files.values()))
    settings.OCF_IMPORT_MAX_UNCOMPRESSED_BYTES = total - 1
    transactions = len(files["Transactions.ocf.json"])  # the last file the manifest lists

    refused = refusal(zipped(tmp_path / "lumen.ocf.zip", files), people)

    assert refused.data["setting"] == "OCF_IMPORT_MAX_UNCOMPRESSED_BYTES"
    assert refused.errors == [
        f"Transactions.ocf.json: declares {transactions:,} bytes, over the limit of "
        f"{total - 1:,} bytes in all ({total - transactions:,} already read) "
        "(OCF_IMPORT_MAX_UNCOMPRESSED_BYTES)"
    ]


def test_the_files_of_a_folder_are_limited_too(people, settings):
    transactions = len(valid_files()["Transactions.ocf.json"])  # the largest file
    settings.OCF_IMPORT_MAX_FILE_BYTES = transactions - 1

    refused = refusal(VALID, people)

    assert refused.errors == [
        f"Transactions.ocf.json: holds {transactions:,} bytes, over the limit of "
        f"{transactions - 1:,} bytes per file (OCF_IMPORT_MAX_FILE_BYTES)"
    ]


def test_an_archive_with_too_many_members_is_refused_before_any_is_read(
    people, tmp_path, settings, opened
):
    settings.OCF_IMPORT_MAX_MEMBERS = 10
    extra = {f"documents/{number}.txt": b"" for number in range(5)}
    archive = zipped(tmp_path / "crowd.ocf.zip", {**valid_files(), **extra})

    refused = refusal(archive, people)

    assert refused.errors == [
        "crowd.ocf.zip: holds 11 members, over the limit of 10 (OCF_IMPORT_MAX_MEMBERS)"
    ]
    assert opened == []


# --- broken archives and files -----------------------------------------------------------------


def test_a_corrupt_member_is_refused_naming_it(people, tmp_path):
    archive = zipped(tmp_path / "lumen.ocf.zip", valid_files())
    data = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as opened:
        info = opened.getinfo("Transactions.ocf.json")
    start = info.header_offset + 30 + len(info.filename) + 100
    data[start : start + 200] = bytes(byte ^ 0x55 for byte in data[start : start + 200])
    archive.write_bytes(bytes(data))

    refused = refusal(archive, people)

    [error] = refused.errors
    assert error.startswith("Transactions.ocf.json: is corrupt in the archive (")


def test_a_file_that_is_not_a_zip_archive_is_refused(people, tmp_path):
    archive = tmp_path / "lumen.ocf.zip"
    archive.write_bytes(b"PK\x03\x04 this is no archive" * 10)

    refused = refusal(archive, people)

    assert refused.errors == [
        "lumen.ocf.zip: is not a readable zip archive (File is not a zip file)"
    ]


@pytest.mark.parametrize("name", ["../Escape.ocf.json", "/etc/Escape.ocf.json", "C:/Escape.json"])
def test_an_archive_naming_a_member_outside_it_is_refused_whole(people, tmp_path, name):
    archive = zipped(tmp_path / "slip.ocf.zip", {**valid_files(), name: b"{}"})

    refused = refusal(archive, people)

    assert refused.errors == [f"slip.ocf.zip: member {name!r} is outside the archive"]


def test_a_manifest_listing_a_file_outside_the_package_is_refused(people, tmp_path):
    package = tmp_path / "lumen"
    package.mkdir()
    for name, content in valid_files().items():
        (package / name).write_bytes(content)
    (tmp_path / "Stakeholders.ocf.json").write_bytes(valid_files()["Stakeholders.ocf.json"])
    manifest = json.loads((package / "Manifest.ocf.json").read_text())
    manifest["stakeholders_files"][0]["filepath"] = "../Stakeholders.ocf.json"
    (package / "Manifest.ocf.json").write_text(json.dumps(manifest))

    refused = refusal(package, people)

    assert refused.errors[0] == (
        "Manifest.ocf.json: stakeholders_files lists '../Stakeholders.ocf.json', which is "
        "outside the package"
    )


def test_a_file_that_is_not_utf8_is_refused_naming_it(people, tmp_path):
    files = valid_files()
    latin = files["Stakeholders.ocf.json"].decode().replace("Alice", "Alïce").encode("latin-1")
    archive = zipped(tmp_path / "lumen.ocf.zip", {**files, "Stakeholders.ocf.json": latin})

    refused = refusal(archive, people)

    offset = latin.index(b"\xef")
    assert refused.errors == [
        f"Stakeholders.ocf.json: is not UTF-8 text (byte 0xef at offset {offset})"
    ]


def test_a_manifest_that_is_not_utf8_is_named_as_such(people, tmp_path):
    files = valid_files()
    latin = files["Manifest.ocf.json"].decode().replace("Lumen", "Lümen").encode("latin-1")
    archive = zipped(tmp_path / "lumen.ocf.zip", {**files, "Manifest.ocf.json": latin})

    refused = refusal(archive, people)

    assert refused.errors[1].startswith("Manifest.ocf.json: is not UTF-8 text (byte 0xfc at")


def test_json_nested_beyond_the_interpreter_s_depth_is_refused_naming_the_file(people, tmp_path):
    deep = b"[" * 100_000 + b"]" * 100_000
    archive = zipped(tmp_path / "deep.ocf.zip", {**valid_files(), "Stakeholders.ocf.json": deep})

    refused = refusal(archive, people)

    assert refused.errors == ["Stakeholders.ocf.json: is nested deeper than 32 levels"]


def test_an_item_nested_too_deeply_is_refused_naming_the_item_and_where(people, tmp_path):
    nested: list = []
    for _ in range(40):
        nested = [nested]
    files = with_item(valid_files(), "Stakeholders.ocf.json", "sh-bob", comments=nested)
    archive = zipped(tmp_path / "deep.ocf.zip", files)

    refused = refusal(archive, people)

    assert refused.errors == [
        "Stakeholders.ocf.json: item 'sh-bob' (STAKEHOLDER) at $.comments"
        + "[0]" * 29
        + ": is nested deeper than 32 levels"
    ]


# --- values the database would refuse ----------------------------------------------------------


def test_a_nul_in_a_name_is_refused_naming_the_item_and_the_field(people, tmp_path):
    files = with_item(
        valid_files(), "Stakeholders.ocf.json", "sh-alice", name__legal_name="Alice\0Martin"
    )

    refused = refusal(zipped(tmp_path / "nul.ocf.zip", files), people)

    assert refused.errors == [
        "Stakeholders.ocf.json: item 'sh-alice' (STAKEHOLDER) at $.name.legal_name: holds the "
        "control character U+0000, which OCF text may not hold"
    ]


@pytest.mark.parametrize(
    ("character", "named"),
    [
        ("\x1b", "the control character U+001B"),
        ("\x7f", "the control character U+007F"),
        ("\x85", "the control character U+0085"),
        ("\u202e", "the invisible character U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("\ud800", "a lone surrogate U+D800"),
    ],
)
def test_control_characters_and_lone_surrogates_in_the_manifest_are_refused(
    people, tmp_path, character, named
):
    files = valid_files()
    manifest = json.loads(files["Manifest.ocf.json"])
    manifest["issuer"]["legal_name"] = f"Lumen{character}Robotics SAS"
    files["Manifest.ocf.json"] = json.dumps(manifest).encode()

    refused = refusal(zipped(tmp_path / "lumen.ocf.zip", files), people)

    assert refused.errors == [
        f"Manifest.ocf.json: at $.issuer.legal_name: holds {named}, which OCF text may not hold"
    ]


def test_a_quantity_beyond_the_books_precision_is_refused_naming_the_field(people, tmp_path):
    huge = "1" + "0" * 40
    files = with_item(valid_files(), "Transactions.ocf.json", "si-alice-1", quantity=huge)

    refused = refusal(zipped(tmp_path / "huge.ocf.zip", files), people)

    assert refused.errors == [
        f"Transactions.ocf.json: TX_STOCK_ISSUANCE 'si-alice-1': quantity {huge} is too large: "
        "the books hold at most 18 digits before the point"
    ]


def test_a_votes_per_share_beyond_its_column_is_refused_naming_the_field(people, tmp_path):
    files = valid_files()
    data = json.loads(files["StockClasses.ocf.json"])
    data["items"][0]["votes_per_share"] = str(Decimal(10) ** 12)
    files["StockClasses.ocf.json"] = json.dumps(data).encode()

    refused = refusal(zipped(tmp_path / "votes.ocf.zip", files), people)

    [error] = refused.errors
    assert error.endswith(
        "votes_per_share 1000000000000 is too large: the books hold at most 10 digits before "
        "the point"
    )


def test_a_quantity_just_beyond_exact_computation_is_refused_naming_the_field(people, tmp_path):
    large = "1" + "0" * 18
    files = with_item(valid_files(), "Transactions.ocf.json", "si-alice-1", quantity=large)

    refused = refusal(zipped(tmp_path / "large.ocf.zip", files), people)

    assert refused.errors == [
        f"Transactions.ocf.json: TX_STOCK_ISSUANCE 'si-alice-1': quantity {large} is too large: "
        "the books hold at most 18 digits before the point"
    ]


# --- the command -------------------------------------------------------------------------------


def test_the_import_command_turns_a_refusal_into_its_message(people, tmp_path, settings):
    settings.OCF_IMPORT_MAX_FILE_BYTES = 1 * KIB
    before = rows()

    expected = r"Manifest\.ocf\.json: holds [\d,]+ bytes, over the limit of 1,024 bytes per file"
    with pytest.raises(CommandError, match=rf"{expected} \(OCF_IMPORT_MAX_FILE_BYTES\)"):
        call_command(
            "import_ocf",
            str(VALID),
            by=people["by"].email,
            approved_by=people["approved_by"].email,
            stdout=StringIO(),
        )

    assert rows() == before


@pytest.mark.django_db(transaction=True)
def test_the_import_command_exits_non_zero_with_the_refusal_and_no_traceback(
    people, tmp_path, capsys
):
    archive = tmp_path / "lumen.ocf.zip"
    archive.write_bytes(b"not a zip archive")
    before = rows()
    argv = ["manage.py", "import_ocf", str(archive), "--by", people["by"].email]

    with pytest.raises(SystemExit) as exited:
        execute_from_command_line([*argv, "--approved-by", people["approved_by"].email])

    assert exited.value.code == 1
    printed = capsys.readouterr().err
    assert "CommandError: the OCF package cannot be read" in printed
    assert "lumen.ocf.zip: is not a readable zip archive" in printed
    assert "Traceback" not in printed
    assert rows() == before
