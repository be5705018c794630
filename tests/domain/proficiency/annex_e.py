"""Worked examples of ISO 13528:2022 Annex E and Table B.1: inputs and printed results.

Source: the numbers of ISO 13528:2022 (Annex E; Table B.1), as transcribed with the table
each comes from in tests/annex_e_data.py and tests/printed_values.py of
github.com/kanunimurat/pt13528 (commit 0b1947e84ffc, read through the search tool's code
index; the project's NOTICE says only the numbers needed for verification are reproduced,
with attribution). We did not have the standard's own text. The printed results are the
standard's, at its rounding; none was computed by the code under test.
"""

from __future__ import annotations

# E.3, Table E.4: atrazine in drinking water, 34 participants (one result each).
E3_ATRAZINE = (
    0.040, 0.055, 0.178, 0.202, 0.206, 0.227, 0.228, 0.230, 0.230, 0.235, 0.236, 0.237, 0.243,
    0.244, 0.245, 0.2555, 0.260, 0.264, 0.267, 0.270, 0.273, 0.274, 0.274, 0.278, 0.2811, 0.287,
    0.287, 0.288, 0.289, 0.295, 0.296, 0.311, 0.331, 0.4246,
)  # fmt: skip
# Table E.5, printed at 4 decimals: (x*, s*, u(x_pt)).
E3_ALGORITHM_A = (0.2570, 0.0395, 0.0085)
E3_Q_HAMPEL = (0.2600, 0.0426, 0.0091)
E3_MEDIAN, E3_NIQR, E3_MADE, E3_U_MEDIAN_NIQR = 0.2620, 0.0402, 0.0386, 0.0086

# E.2, Tables E.2 and E.3: arsenic in chocolate; 10 items x 2 replicates, then stability.
E2_HOMOGENEITY = (
    (0.185, 0.194), (0.187, 0.189), (0.182, 0.186), (0.188, 0.196), (0.191, 0.181),
    (0.188, 0.180), (0.187, 0.196), (0.177, 0.186), (0.179, 0.187), (0.188, 0.196),
)  # fmt: skip
E2_STABILITY = (0.191, 0.198, 0.190, 0.196)
# Printed: general mean, s_x, s_w, s_s (5 decimals); sigma_pt = 15 % of the mean; 0.3 sigma_pt.
E2_PRINTED = {"mean": 0.18715, "s_x": 0.00398, "s_w": 0.00556, "s_s": 0.00060}
E2_SIGMA_PT, E2_CRITERION = 0.02807, 0.00842
E2_STABILITY_MEAN, E2_STABILITY_DIFFERENCE = 0.19375, 0.00660

# E.4, Tables E.6 and E.7: mercury in feed (IMEP-111 data), x_pt = 0.044 with U = 0.0082
# (k = 2), sigma_pt = 0.0066. Per laboratory: code, result, U, k, then the printed
# z, z', zeta and En (2 decimals).
E4_X_PT, E4_U_X_PT_EXPANDED, E4_SIGMA_PT = 0.044, 0.0082, 0.0066
E4 = (
    ("L04", 0.013, 0.003, 2, -4.70, -3.99, -7.10, -3.55),
    ("L05", 0.013, 0.007, 2, -4.70, -3.99, -5.75, -2.88),
    ("L23", 0.0135, 0.00108, 1.732, -4.62, -3.93, -7.35, -3.69),
    ("L02", 0.014, 0.004, 2, -4.55, -3.86, -6.58, -3.29),
    ("L15", 0.014, 0.0005, 2, -4.55, -3.86, -7.30, -3.65),
    ("L06", 0.016, 0.003, 2, -4.24, -3.60, -6.41, -3.21),
    ("L09", 0.017, 0.008, 2, -4.09, -3.47, -4.71, -2.36),
    ("L26", 0.019, 0.003, 2, -3.79, -3.22, -5.73, -2.86),
    ("L12", 0.0239, 0.0036, 2, -3.05, -2.59, -4.49, -2.24),
    ("L03", 0.037, 0.013, 2, -1.06, -0.90, -0.91, -0.46),
    ("L29", 0.039, 0.007, 2, -0.76, -0.64, -0.93, -0.46),
    ("L07", 0.04, 0.008, 2, -0.61, -0.51, -0.70, -0.35),
    ("L21", 0.04, 0.03, 2, -0.61, -0.51, -0.26, -0.13),
    ("L25", 0.040, 0.010, 2, -0.61, -0.51, -0.62, -0.31),
    ("L16", 0.0424, 0.008, 2, -0.24, -0.21, -0.28, -0.14),
    ("L08", 0.044, 0.007, 2, 0.00, 0.00, 0.00, 0.00),
    ("L10", 0.045, 0.007, 2, 0.15, 0.13, 0.19, 0.09),
    ("L24", 0.045, 0.005, 2, 0.15, 0.13, 0.21, 0.10),
    ("L18", 0.046, 0.007, 2, 0.30, 0.26, 0.37, 0.19),
    ("L28", 0.049, 0.0072, 2, 0.76, 0.64, 0.92, 0.46),
    ("L01", 0.053, 0.007, 2, 1.36, 1.16, 1.67, 0.83),
)

# E.9: sigma_pt by the Horwitz model at 1.195 mg/kg and 2.565 mg/kg (printed in mg/kg).
E9_HORWITZ = ((1.195, 0.186), (2.565, 0.356))
# E.10: sigma_pt from a precision experiment, s_R = 23.2, s_r = 14.3, m = 2 -> 20.9.
E10_PRECISION = (23.2, 14.3, 2, 20.9)

# Table B.1: g -> (F1, F2) of the expanded homogeneity criterion (m = 2).
TABLE_B1 = {
    20: (1.59, 0.57), 19: (1.60, 0.59), 18: (1.62, 0.62), 17: (1.64, 0.64), 16: (1.67, 0.68),
    15: (1.69, 0.71), 14: (1.72, 0.75), 13: (1.75, 0.80), 12: (1.79, 0.86), 11: (1.83, 0.93),
    10: (1.88, 1.01), 9: (1.94, 1.11), 8: (2.01, 1.25), 7: (2.10, 1.43),
}  # fmt: skip
