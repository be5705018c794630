"""Published critical values of ISO 5725-2's consistency and outlier tests, with sources.

None of these numbers was computed by the code under test.
"""

from __future__ import annotations

# The issue (19) quotes ISO 5725-2 for p = 8 laboratories, n = 2 replicates:
# (1 %, 5 %) critical values.
ISSUE_P8_N2 = {
    "mandel_h": (2.06, 1.75),
    "cochran": (0.794, 0.680),
    "grubbs": (2.274, 2.126),
}

# ISO 5725-2:1994 Table 6, indicators for Mandel's h and k at the 1 % level, as reproduced
# at https://metrology.wordpress.com/ ("Indicators for Mandel's h and k statistics at 1%
# significance level", citing "ISO 5725-2:1994 table 6"; read through the search tool's
# page index). Row: p -> (h, k for n = 2, 3, ..., 10).
MANDEL_1_PERCENT = {
    3: (1.15, 1.71, 1.64, 1.58, 1.53, 1.49, 1.46, 1.43, 1.41, 1.39),
    4: (1.49, 1.91, 1.77, 1.67, 1.60, 1.55, 1.51, 1.48, 1.45, 1.43),
    5: (1.72, 2.05, 1.85, 1.73, 1.65, 1.59, 1.55, 1.51, 1.48, 1.46),
    6: (1.87, 2.14, 1.90, 1.77, 1.68, 1.62, 1.57, 1.53, 1.50, 1.47),
    7: (1.98, 2.20, 1.94, 1.79, 1.70, 1.63, 1.58, 1.54, 1.51, 1.48),
    8: (2.06, 2.25, 1.97, 1.81, 1.71, 1.65, 1.59, 1.55, 1.52, 1.49),
    9: (2.13, 2.29, 1.99, 1.82, 1.73, 1.66, 1.60, 1.56, 1.53, 1.50),
    10: (2.18, 2.32, 2.00, 1.84, 1.74, 1.66, 1.61, 1.57, 1.53, 1.50),
    11: (2.22, 2.34, 2.01, 1.85, 1.74, 1.67, 1.62, 1.57, 1.54, 1.51),
    12: (2.25, 2.36, 2.02, 1.85, 1.75, 1.68, 1.62, 1.58, 1.54, 1.51),
    13: (2.27, 2.38, 2.03, 1.86, 1.76, 1.68, 1.63, 1.58, 1.55, 1.52),
    14: (2.30, 2.39, 2.04, 1.87, 1.76, 1.69, 1.63, 1.58, 1.55, 1.52),
}

# Cochran's critical values at the 5 % level (95 % confidence), l data sets of n values,
# from the UK National Measurement System's chemical and biological metrology pages (LGC),
# http://www.nmschembio.org.uk/GenericArticle.aspx?m=395&amid=5622 ("Cochran test", 2009;
# read through the search tool's page index). Row: l -> (n = 2, 3, 4, 5).
COCHRAN_5_PERCENT = {
    2: (0.998, 0.975, 0.939, 0.906),
    3: (0.967, 0.871, 0.798, 0.746),
    4: (0.906, 0.768, 0.684, 0.629),
    5: (0.841, 0.684, 0.598, 0.544),
    6: (0.781, 0.616, 0.532, 0.480),
    7: (0.727, 0.561, 0.480, 0.431),
    8: (0.680, 0.516, 0.438, 0.391),
    9: (0.638, 0.477, 0.403, 0.358),
    10: (0.602, 0.445, 0.373, 0.331),
    15: (0.471, 0.335, 0.276, 0.242),
    20: (0.389, 0.270, 0.221, 0.192),
}

# Grubbs' single-outlier critical values, p = 3..30, at 1 % and 5 %: Grubbs (1950) and
# Grubbs and Beck (1972), as tabulated in pycafee/sample/outliers.py (GRUBBS_ONE_TABLE) of
# github.com/pycafee/pycafee, commit 3397925931a8. The p = 8 row is the issue's ISO value.
GRUBBS_1_PERCENT = (
    1.155, 1.496, 1.764, 1.973, 2.139, 2.274, 2.387, 2.482, 2.564, 2.636, 2.699, 2.755, 2.806,
    2.852, 2.894, 2.932, 2.968, 3.001, 3.031, 3.060, 3.087, 3.112, 3.135, 3.157, 3.178, 3.199,
    3.218, 3.236,
)  # fmt: skip
GRUBBS_5_PERCENT = (
    1.155, 1.481, 1.715, 1.887, 2.020, 2.126, 2.215, 2.290, 2.355, 2.412, 2.462, 2.507, 2.549,
    2.585, 2.620, 2.651, 2.681, 2.709, 2.733, 2.758, 2.781, 2.802, 2.822, 2.841, 2.859, 2.876,
    2.893, 2.908,
)  # fmt: skip
GRUBBS_FIRST_P = 3
