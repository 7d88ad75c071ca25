"""Identifier schemes: NHS numbers (mod 11), PNC numbers (mod 23 check letter)."""

from __future__ import annotations

import numpy as np

NHS_WEIGHTS = np.arange(10, 1, -1)  # 10..2 on the first nine digits
PNC_CHECK_LETTERS = "ZABCDEFGHJKLMNPQRTUVWXY"


def nhs_check_digit(body: np.ndarray) -> np.ndarray:
    """Check digit for 9-digit bodies (int array); 10 means the body cannot be issued."""
    digits = (body[:, None] // 10 ** np.arange(8, -1, -1)) % 10
    remainder = (digits * NHS_WEIGHTS).sum(axis=1) % 11
    check = 11 - remainder
    return np.where(check == 11, 0, check)


def is_valid_nhs(number: str) -> bool:
    """Mod-11 validity of a 10-digit NHS number (spaces allowed)."""
    digits = number.replace(" ", "")
    if len(digits) != 10 or not digits.isdigit():
        return False
    body = np.array([int(digits[:9])])
    check = int(nhs_check_digit(body)[0])
    return check != 10 and check == int(digits[9])


def issue_nhs_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct valid NHS numbers as int64, from the England and Wales ranges."""
    issued = np.empty(0, dtype=np.int64)
    while issued.size < n:
        want = int((n - issued.size) * 1.2) + 16
        block = rng.integers(0, 2, size=want)
        body = np.where(
            block == 0,
            rng.integers(400_000_000, 500_000_000, size=want),
            rng.integers(600_000_000, 800_000_000, size=want),
        ).astype(np.int64)
        check = nhs_check_digit(body)
        fresh = body[check != 10] * 10 + check[check != 10]
        merged = np.concatenate([issued, fresh])
        _, first = np.unique(merged, return_index=True)
        issued = merged[np.sort(first)]
    return issued[:n]


def pnc_check_letter(year2: np.ndarray, serial: np.ndarray) -> np.ndarray:
    """Check letter: (2-digit year then 7-digit zero-padded serial, as one integer) mod 23."""
    value = np.asarray(year2, dtype=np.int64) * 10_000_000 + np.asarray(serial, dtype=np.int64)
    letters = np.array(list(PNC_CHECK_LETTERS))
    return letters[value % 23]


def pnc_police_format(year4: int, serial: int, letter: str) -> str:
    """``YY/NNNNNNL``: two-digit year, six-digit serial."""
    return f"{year4 % 100:02d}/{serial:06d}{letter}"


def pnc_yos_format(year4: int, serial: int, letter: str) -> str:
    """``YYYY/NNNNNNNL``: four-digit year, seven-digit zero-padded serial."""
    return f"{year4:04d}/{serial:07d}{letter}"
