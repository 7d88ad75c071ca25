"""A synthetic Bedfordshire: councils, LSOAs, postcodes and resident counts.

The reference files written from it use the real ONS column names (``lsoa21cd``,
``lsoa21nm``, ``lad22cd``, ``lad22nm``, ``pcds``), so the real ONS lookups can replace them.

Scale. The synthetic county holds the real 2021 Census residents of the three councils
multiplied by ``s = people / 60_000``: the demo's 20,000 people who appear in some feed stand
for a third of the county. Every rate in the scenario is set per person, so events per
resident stay the same at every size; ``residents_by_band`` is what rates are computed from
(for example children at risk of exploitation per 10,000 residents aged under 25).

The layout (LSOA codes and names, deprivation, postcodes) does not depend on the seed or the
size: only the resident counts scale.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dagster_project.reference import AGE_BANDS  # the population file's bands

PEOPLE_PER_COUNTY = 60_000  # people appearing in some feed that stand for the whole county
GEOGRAPHY_SEED = 43_2021  # fixed: the map is the same for every seed and size

AGE_BAND_LOWER = np.array([0, 10, 15, 18, 25, 35, 45, 55, 65])
AGE_BAND_UPPER = np.array([9, 14, 17, 24, 34, 44, 54, 64, 89])
UNDER_25_BANDS = 4  # the first four bands


@dataclass(frozen=True)
class Council:
    name: str
    lad22cd: str
    residents_2021: int
    n_lsoa: int
    la_code: str  # social care referral prefix
    yos_service: str
    districts: tuple[str, ...]
    first_lsoa_serial: int
    # Census 2021 shares by age band (AGE_BANDS order, percent)
    age_profile: tuple[float, ...]
    # IMD decile weights 1 (most deprived) .. 10 outside the named pockets
    imd_weights: tuple[float, ...]
    pocket_share: float  # share of LSOAs in deprived pockets (decile 1-3)
    town_centres: tuple[str, ...]  # districts whose first LSOAs are the night-time economy


COUNCILS: tuple[Council, ...] = (
    Council(
        name="Bedford",
        lad22cd="E06000055",
        residents_2021=185_761,
        n_lsoa=112,
        la_code="BED",
        yos_service="Bedfordshire",
        districts=("MK40", "MK41", "MK42", "MK43", "MK44"),
        first_lsoa_serial=17_520,
        age_profile=(12.7, 6.6, 3.6, 7.6, 13.3, 13.6, 13.2, 12.0, 16.9),
        imd_weights=(0.01, 0.03, 0.06, 0.10, 0.12, 0.13, 0.14, 0.14, 0.14, 0.13),
        pocket_share=0.12,
        town_centres=("MK40", "MK40", "MK42"),
    ),
    Council(
        name="Central Bedfordshire",
        lad22cd="E06000056",
        residents_2021=295_541,
        n_lsoa=168,
        la_code="CBC",
        yos_service="Bedfordshire",
        districts=("LU5", "LU6", "LU7", "MK17", "MK45", "SG5", "SG15", "SG16", "SG17", "SG18", "SG19"),
        first_lsoa_serial=17_700,
        age_profile=(12.0, 6.3, 3.5, 6.6, 12.5, 13.5, 14.3, 13.2, 18.7),
        imd_weights=(0.0, 0.005, 0.03, 0.06, 0.10, 0.13, 0.16, 0.17, 0.17, 0.175),
        pocket_share=0.05,
        town_centres=("LU6", "LU7", "SG18"),
    ),
    Council(
        name="Luton",
        lad22cd="E06000032",
        residents_2021=224_826,
        n_lsoa=133,
        la_code="LUT",
        yos_service="Luton",
        districts=("LU1", "LU2", "LU3", "LU4"),
        first_lsoa_serial=15_700,
        age_profile=(14.5, 7.0, 3.9, 8.9, 15.5, 14.3, 12.3, 10.3, 12.1),
        imd_weights=(0.10, 0.13, 0.13, 0.13, 0.12, 0.11, 0.09, 0.08, 0.06, 0.05),
        pocket_share=0.0,
        town_centres=("LU1", "LU1", "LU1", "LU2"),
    ),
)
COUNCIL_NAMES: tuple[str, ...] = tuple(c.name for c in COUNCILS)

# Inward-code unit letters never use C, I, K, M, O or V.
_UNIT_LETTERS = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))
# Share of males by age band (older bands have more women).
_MALE_SHARE = np.array([0.512, 0.512, 0.513, 0.505, 0.495, 0.492, 0.493, 0.490, 0.450])


@dataclass
class County:
    """Arrays over LSOAs (index ``i``) and postcodes (index ``j``)."""

    scale: float
    lsoa_code: np.ndarray  # str
    lsoa_name: np.ndarray  # str
    lsoa_council: np.ndarray  # int index into COUNCILS
    lsoa_district: np.ndarray  # str, postcode district
    imd_decile: np.ndarray  # int 1..10
    town_centre: np.ndarray  # bool, night-time economy
    residents_by_band: np.ndarray  # int [lsoa, sex (0=F, 1=M), band]
    postcode: np.ndarray  # str, standard ``LU1 3AB`` form
    postcode_lsoa: np.ndarray  # int LSOA index of each postcode
    lsoa_first_postcode: np.ndarray  # int, postcodes of LSOA i are [first[i], first[i+1])

    @property
    def n_lsoa(self) -> int:
        return int(self.lsoa_code.size)

    def residents(self) -> np.ndarray:
        return self.residents_by_band.sum(axis=(1, 2))

    def under_25_residents(self) -> int:
        return int(self.residents_by_band[:, :, :UNDER_25_BANDS].sum())

    def council_residents(self) -> np.ndarray:
        return np.bincount(self.lsoa_council, weights=self.residents(), minlength=len(COUNCILS))

    def postcodes_of(self, lsoa: int) -> np.ndarray:
        return np.arange(self.lsoa_first_postcode[lsoa], self.lsoa_first_postcode[lsoa + 1])


def _integer_split(total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` into integers proportional to ``weights`` (largest remainder)."""
    share = weights / weights.sum() * total
    base = np.floor(share).astype(np.int64)
    short = total - int(base.sum())
    if short > 0:
        order = np.argsort(-(share - base), kind="stable")
        base[order[:short]] += 1
    return base


def build_county(scale: float) -> County:
    rng = np.random.default_rng(GEOGRAPHY_SEED)
    codes, names, council_idx, districts, imd, centre = [], [], [], [], [], []
    residents = []
    for ci, council in enumerate(COUNCILS):
        n = council.n_lsoa
        # MSOAs of 3 to 5 LSOAs, each MSOA inside one postcode district.
        sizes: list[int] = []
        while sum(sizes) < n:
            sizes.append(int(rng.integers(3, 6)))
        sizes[-1] -= sum(sizes) - n
        if sizes[-1] <= 0:
            sizes[-2] += sizes[-1]
            sizes.pop()
        n_msoa = len(sizes)
        msoa_district = [council.districts[k * len(council.districts) // n_msoa] for k in range(n_msoa)]
        lsoa_serial = council.first_lsoa_serial
        first_of_district: dict[str, list[int]] = {}
        for m, size in enumerate(sizes):
            for k in range(size):
                i = len(codes)
                codes.append(f"E01{lsoa_serial:06d}")
                lsoa_serial += 1
                names.append(f"{council.name} {m + 1:03d}{'ABCDE'[k]}")
                council_idx.append(ci)
                districts.append(msoa_district[m])
                first_of_district.setdefault(msoa_district[m], []).append(i)
        local = np.arange(len(codes) - n, len(codes))
        deciles = rng.choice(np.arange(1, 11), size=n, p=np.array(council.imd_weights) / sum(council.imd_weights))
        n_pocket = int(round(council.pocket_share * n))
        if n_pocket:
            # Deprived pockets: central Bedford; Dunstable, Leighton Buzzard, Flitwick in Central Beds.
            pocket_districts = {"Bedford": ("MK40", "MK42"), "Central Bedfordshire": ("LU5", "LU6", "LU7", "MK45")}
            candidates = [
                i - local[0] for d in pocket_districts.get(council.name, ()) for i in first_of_district.get(d, [])
            ]
            chosen = rng.choice(np.array(candidates), size=min(n_pocket, len(candidates)), replace=False)
            deciles[chosen] = rng.choice([1, 2, 3], size=chosen.size, p=[0.3, 0.4, 0.3])
        imd.extend(deciles.tolist())
        is_centre = np.zeros(n, dtype=bool)
        used: dict[str, int] = {}
        for d in council.town_centres:
            pool = first_of_district.get(d, [])
            k = used.get(d, 0)
            if k < len(pool):
                is_centre[pool[k] - local[0]] = True
                used[d] = k + 1
        centre.extend(is_centre.tolist())
        # Residents: the council total split over LSOAs, then by sex and age band.
        total = int(round(council.residents_2021 * scale))
        lsoa_weights = rng.lognormal(0.0, 0.15, size=n)
        per_lsoa = _integer_split(total, lsoa_weights)
        profile = np.array(council.age_profile) / sum(council.age_profile)
        for count in per_lsoa:
            jitter = profile * rng.lognormal(0.0, 0.08, size=profile.size)
            bands = _integer_split(int(count), jitter)
            males = np.array([rng.binomial(b, p) for b, p in zip(bands, _MALE_SHARE, strict=True)])
            residents.append(np.stack([bands - males, males]))
    lsoa_district = np.array(districts)
    # Postcodes: 20 to 40 per LSOA, sectors shared by neighbouring LSOAs of one district.
    postcodes: list[str] = []
    postcode_lsoa: list[int] = []
    first = [0]
    seen_in_district: dict[str, int] = {}
    taken: set[str] = set()
    for i, district in enumerate(lsoa_district):
        k = seen_in_district.get(district, 0)
        seen_in_district[district] = k + 1
        sector = (k // 3) % 10
        n_pc = int(rng.integers(20, 41))
        made = 0
        while made < n_pc:
            unit = "".join(rng.choice(_UNIT_LETTERS, size=2))
            pc = f"{district} {sector}{unit}"
            if pc in taken:
                continue
            taken.add(pc)
            postcodes.append(pc)
            postcode_lsoa.append(i)
            made += 1
        first.append(len(postcodes))
    pcs = np.array(postcodes)
    return County(
        scale=scale,
        lsoa_code=np.array(codes),
        lsoa_name=np.array(names),
        lsoa_council=np.array(council_idx),
        lsoa_district=lsoa_district,
        imd_decile=np.array(imd),
        town_centre=np.array(centre),
        residents_by_band=np.array(residents, dtype=np.int64),
        postcode=pcs,
        postcode_lsoa=np.array(postcode_lsoa),
        lsoa_first_postcode=np.array(first),
    )


def write_reference(county: County, directory: Path) -> list[Path]:
    """Write ``lsoa_lookup.csv``, ``postcode_lookup.csv`` and ``lsoa_population.csv``."""
    directory.mkdir(parents=True, exist_ok=True)
    lsoa_path = directory / "lsoa_lookup.csv"
    with lsoa_path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["lsoa21cd", "lsoa21nm", "lad22cd", "lad22nm", "imd_decile"])
        for i in range(county.n_lsoa):
            council = COUNCILS[county.lsoa_council[i]]
            w.writerow(
                [county.lsoa_code[i], county.lsoa_name[i], council.lad22cd, council.name, int(county.imd_decile[i])]
            )
    postcode_path = directory / "postcode_lookup.csv"
    with postcode_path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["pcds", "lsoa21cd"])
        codes = county.lsoa_code[county.postcode_lsoa]
        w.writerows(zip(county.postcode.tolist(), codes.tolist(), strict=True))
    population_path = directory / "lsoa_population.csv"
    with population_path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["lsoa21cd", "sex", "age_band", "residents"])
        for i in range(county.n_lsoa):
            for s, sex in ((0, "F"), (1, "M")):
                for b, band in enumerate(AGE_BANDS):
                    w.writerow([county.lsoa_code[i], sex, band, int(county.residents_by_band[i, s, b])])
    return [lsoa_path, postcode_path, population_path]
