"""The demo's files: a trial report (PDF), datasets and test results (CSV), an antenna
pattern (PNG) and a threat report (STIX 2.1-shaped JSON), generated, not shipped.

Every file is deterministic (no clock, no randomness), so two demo nodes hold the same
bytes and a screenshot of one matches the other. The PDF carries its marking on every
page, as a marked document would; the other formats carry it where the format has room
(a comment line in the CSVs, a field in the JSON).
"""

from __future__ import annotations

import json
import math
import struct
import zlib
from datetime import UTC, datetime

from caveat.services.demo import DemoFile

REPORT_MARKING = "SECRET//REL TO USA, GBR"
_FIXED_DATE = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)  # the PDF's creation date


def files() -> list[DemoFile]:
    """The demo's artifacts with their content, in upload order."""
    return [
        DemoFile(
            uploader="alice",
            project="Passive Sensor Fusion",
            kind="report",
            title="Passive sensor trial report, phase 1",
            marking=REPORT_MARKING,
            filename="trial-report-phase-1.pdf",
            media_type="application/pdf",
            summary="Range trial of the fused passive tracker against two emitters",
            keywords=("trial", "passive tracking", "fusion"),
            content=trial_report,
        ),
        DemoFile(
            uploader="alice",
            project="Radar Signature Library",
            kind="dataset",
            title="Radar cross-section measurements, X band",
            marking="SECRET//NOFORN",
            controls=("ITAR:USML-XI(c)(1)",),
            filename="rcs-x-band.csv",
            media_type="text/csv",
            summary="Monostatic RCS of the test body by azimuth, 8-12 GHz",
            keywords=("radar cross-section", "X band"),
            content=lambda: rcs_csv("SECRET//NOFORN"),
        ),
        DemoFile(
            uploader="dieter",
            project="Passive Sensor Fusion",
            kind="test_data",
            title="Sensor calibration results, run 14",
            marking="UNCLASSIFIED",
            controls=("EAR:EAR99",),
            filename="calibration-run-14.csv",
            media_type="text/csv",
            summary="Bearing error of the four receivers against the reference source",
            keywords=("calibration", "bearing error"),
            content=lambda: calibration_csv("UNCLASSIFIED"),
        ),
        DemoFile(
            uploader="alice",
            project="Passive Sensor Fusion",
            kind="document",
            title="Antenna array gain pattern",
            marking="CONFIDENTIAL//REL TO USA, GBR, NOR",
            controls=("EAR:3A001.a.1",),
            filename="gain-pattern.png",
            media_type="image/png",
            summary="Normalised gain of the 16-element array over azimuth and elevation",
            keywords=("antenna", "gain pattern"),
            content=gain_pattern_png,
        ),
        DemoFile(
            uploader="bob",
            project="Passive Sensor Fusion",
            kind="threat_intelligence",
            title="Emitter threat report TR-7",
            marking="//GBR SECRET//REL TO USA, GBR",
            filename="threat-report-tr-7.json",
            media_type="application/json",
            summary="Parameters of an airborne emitter observed in the phase 1 trial",
            keywords=("emitter", "threat report", "STIX"),
            content=lambda: threat_report_json("//GBR SECRET//REL TO USA, GBR"),
        ),
    ]


def trial_report() -> bytes:
    """A three-page report with its banner at the top and bottom of every page."""
    from fpdf import FPDF  # imported here: only the demo seed draws a PDF this way

    class Report(FPDF):
        def header(self) -> None:
            self._banner()

        def footer(self) -> None:
            self.set_y(-15)
            self._banner()

        def _banner(self) -> None:
            self.set_font("Helvetica", "B", 10)
            self.cell(0, 8, REPORT_MARKING, align="C", new_x="LMARGIN", new_y="NEXT")

    pdf = Report()
    pdf.set_creation_date(_FIXED_DATE)
    pdf.set_title("Passive sensor trial report, phase 1")
    pdf.set_author("Alice Moreno, AFRL")
    sections = [
        ("1. Purpose", "(U) This report records phase 1 of the passive sensor fusion trial."),
        (
            "2. Set-up",
            "(S//REL TO USA, GBR) Four receivers on a 12 km baseline observed two emitters "
            "from 0600 to 1400 local time; the fused track was compared with the range's "
            "reference radar.",
        ),
        (
            "3. Results",
            "(S//REL TO USA, GBR) Median bearing error 0.41 degrees after calibration run 14; "
            "track continuity 97.2 % against the reference.",
        ),
        ("4. Next steps", "(U) Phase 2 adds ONERA's receiver and a third emitter."),
    ]
    for number, (title, text) in enumerate(sections):
        if number % 2 == 0:
            pdf.add_page()
        pdf.set_font("Helvetica", "B", 14)
        pdf.cell(0, 12, title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, text)
        pdf.ln(4)
    return bytes(pdf.output())


def proficiency_results_csv() -> bytes:
    """ONERA's results for the demo's proficiency rounds, as a laboratory would upload them."""
    return (
        b"item,value,unit,standard_uncertainty,coverage_factor,replicates,notes\r\n"
        b"Sphere S-01,0.1009,m^2,0.0021,2,0.1006;0.1010;0.1011,chamber CH2 at Fauga\r\n"
    )


def rcs_csv(marking: str) -> bytes:
    """Radar cross-section by azimuth and frequency (a smooth synthetic body)."""
    lines = [f"# {marking}", "azimuth_deg,frequency_ghz,rcs_dbsm"]
    for azimuth in range(0, 360, 5):
        for frequency in (8.0, 10.0, 12.0):
            lobe = math.cos(math.radians(azimuth) * 2) ** 2
            rcs = -12.0 + 9.0 * lobe + 0.4 * math.sin(math.radians(azimuth * frequency))
            lines.append(f"{azimuth},{frequency:.1f},{rcs:.2f}")
    return ("\n".join(lines) + "\n").encode()


def calibration_csv(marking: str) -> bytes:
    """Bearing errors of four receivers against the reference source, with uncertainties."""
    lines = [
        f"# {marking}",
        "receiver,bearing_deg,error_deg,standard_uncertainty_deg,coverage_factor",
    ]
    for receiver in range(1, 5):
        for bearing in range(0, 360, 30):
            error = 0.3 * math.sin(math.radians(bearing + 40 * receiver)) + 0.05 * receiver
            lines.append(f"R{receiver},{bearing},{error:.3f},0.080,2")
    return ("\n".join(lines) + "\n").encode()


def gain_pattern_png(size: int = 128) -> bytes:
    """A greyscale image of an array factor over azimuth (x) and elevation (y)."""

    def gain(x: int, y: int) -> int:
        u = math.pi * (x / size - 0.5) * 2
        v = math.pi * (y / size - 0.5) * 2
        af = _array_factor(u, 16) * _array_factor(v, 8)
        return min(255, int(255 * af))

    rows = b"".join(b"\x00" + bytes(gain(x, y) for x in range(size)) for y in range(size))
    return _png(size, size, rows)


def threat_report_json(marking: str) -> bytes:
    """A STIX 2.1-shaped bundle: an indicator and the report that names it."""
    created = "2026-03-14T09:30:00.000Z"
    indicator = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": "indicator--6b0f3a4e-8d0c-4b59-9a6e-2f1d5a3c7e10",
        "created": created,
        "modified": created,
        "name": "Airborne emitter TR-7 pulse pattern",
        "pattern": "[x-emitter:pri_us BETWEEN 780 AND 810]",
        "pattern_type": "stix",
        "valid_from": created,
    }
    report = {
        "type": "report",
        "spec_version": "2.1",
        "id": "report--1c7e52d2-49c3-4d8a-b7a1-93f0c3a6de55",
        "created": created,
        "modified": created,
        "name": "Emitter threat report TR-7",
        "published": created,
        "object_refs": [indicator["id"]],
    }
    bundle = {
        "type": "bundle",
        "id": "bundle--0d8f6a35-5d6b-4f41-8e0b-6f7b8d2a9c31",
        "x_caveat_marking": marking,
        "objects": [indicator, report],
    }
    return (json.dumps(bundle, indent=2) + "\n").encode()


def _array_factor(angle: float, elements: int) -> float:
    half = angle / 2
    if abs(math.sin(half)) < 1e-9:
        return 1.0
    return abs(math.sin(elements * half) / (elements * math.sin(half)))


def _png(width: int, height: int, rows: bytes) -> bytes:
    """An 8-bit greyscale PNG of already-filtered ``rows`` (filter byte 0 on each)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )
