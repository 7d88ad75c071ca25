"""Code sets of the four feeds (FEEDS.md) and the census ethnicity model behind them."""

from __future__ import annotations

import numpy as np

# --- Ethnicity: the 2011 18-category classification (plus 'not stated' per feed) -------------
# (police self-defined code, detailed name, ONS 5-group, DfE code, NHS code)
ETHNICITIES: tuple[tuple[str, str, str, str, str], ...] = (
    ("W1", "English, Welsh, Scottish, Northern Irish or British", "White", "WBRI", "A"),
    ("W2", "Irish", "White", "WIRI", "B"),
    ("W3", "Gypsy or Irish Traveller", "White", "WIRT", "C"),
    ("W9", "Any other White background", "White", "WOTH", "C"),
    ("M1", "White and Black Caribbean", "Mixed", "MWBC", "D"),
    ("M2", "White and Black African", "Mixed", "MWBA", "E"),
    ("M3", "White and Asian", "Mixed", "MWAS", "F"),
    ("M9", "Any other Mixed or Multiple ethnic background", "Mixed", "MOTH", "G"),
    ("A1", "Indian", "Asian", "AIND", "H"),
    ("A2", "Pakistani", "Asian", "APKN", "J"),
    ("A3", "Bangladeshi", "Asian", "ABAN", "K"),
    ("A4", "Chinese", "Asian", "CHNE", "R"),
    ("A9", "Any other Asian background", "Asian", "AOTH", "L"),
    ("B1", "African", "Black", "BAFR", "N"),
    ("B2", "Caribbean", "Black", "BCRB", "M"),
    ("B9", "Any other Black, Black British or Caribbean background", "Black", "BOTH", "P"),
    ("O1", "Arab", "Other", "OOTH", "S"),
    ("O9", "Any other ethnic group", "Other", "OOTH", "S"),
)
ETH_POLICE = np.array([e[0] for e in ETHNICITIES])
ETH_NAME = np.array([e[1] for e in ETHNICITIES])
ETH_GROUP = np.array([e[2] for e in ETHNICITIES])
ETH_DFE = np.array([e[3] for e in ETHNICITIES])
ETH_NHS = np.array([e[4] for e in ETHNICITIES])

# Census 2021 shares (percent) by council, in ETHNICITIES order. Luton is about 55% from an
# ethnic minority group (non-White), Central Bedfordshire about 90% White.
ETHNICITY_BY_COUNCIL: dict[str, tuple[float, ...]] = {
    "Bedford": (58.0, 0.9, 0.2, 11.3, 1.6, 0.5, 1.0, 1.0, 5.5, 3.8, 2.7, 0.5, 2.3, 3.5, 2.2, 0.6, 0.3, 2.6),
    "Central Bedfordshire": (81.0, 0.9, 0.3, 6.8, 1.0, 0.4, 0.8, 0.8, 1.8, 0.8, 0.5, 0.4, 0.9, 1.2, 0.8, 0.3, 0.2, 0.5),
    "Luton": (31.8, 1.2, 0.2, 11.5, 1.5, 0.7, 0.8, 1.1, 5.6, 19.3, 6.6, 0.5, 4.4, 6.5, 2.5, 1.1, 0.8, 2.4),
}

# Which name list a person of each detailed ethnicity gets their names from.
NAME_ORIGIN_BY_ETHNICITY: dict[str, dict[str, float]] = {
    "W1": {"white_british": 0.97, "irish": 0.03},
    "W2": {"irish": 0.85, "white_british": 0.15},
    "W3": {"irish": 0.6, "white_british": 0.25, "romanian": 0.15},
    "W9": {"polish": 0.38, "romanian": 0.28, "lithuanian": 0.12, "portuguese": 0.14, "white_british": 0.08},
    "M1": {"white_british": 0.55, "black_caribbean": 0.45},
    "M2": {"white_british": 0.5, "black_african": 0.5},
    "M3": {"white_british": 0.5, "pakistani": 0.2, "indian": 0.3},
    "M9": {"white_british": 0.4, "black_caribbean": 0.2, "arab": 0.2, "portuguese": 0.2},
    "A1": {"indian": 1.0},
    "A2": {"pakistani": 1.0},
    "A3": {"bangladeshi": 1.0},
    "A4": {"chinese": 1.0},
    "A9": {"pakistani": 0.35, "indian": 0.35, "bangladeshi": 0.1, "arab": 0.2},
    "B1": {"black_african": 0.72, "somali": 0.28},
    "B2": {"black_caribbean": 1.0},
    "B9": {"black_caribbean": 0.5, "black_african": 0.5},
    "O1": {"arab": 1.0},
    "O9": {"arab": 0.35, "white_british": 0.2, "chinese": 0.15, "portuguese": 0.3},
}

# Per-feed 'not stated' rates: police self-defined ethnicity is often unrecorded.
NOT_STATED_RATE = {"police": 0.14, "social_care": 0.04, "health": 0.11, "yos": 0.03}

# --- Police ---------------------------------------------------------------------------------
OFFENCE_GROUPS: tuple[str, ...] = (
    "Violence with injury",
    "Violence without injury",
    "Stalking and harassment",
    "Rape",
    "Other sexual offences",
    "Homicide",
    "Robbery",
    "Possession of weapons",
    "Drug offences",
    "Public order",
)
VWI, VWO, STALK, RAPE, SEXUAL, HOMICIDE, ROBBERY, WEAPONS, DRUGS, PUBLIC_ORDER = range(10)
VIOLENCE_AND_SEXUAL = (VWI, VWO, STALK, RAPE, SEXUAL, HOMICIDE)

# Home Office offence codes; each code belongs to exactly one group. (code, relative weight)
OFFENCE_CODES: dict[int, tuple[tuple[str, float], ...]] = {
    VWI: (("008/06", 0.55), ("008/01", 0.25), ("005/01", 0.12), ("037/02", 0.08)),
    VWO: (("105/01", 0.70), ("104/32", 0.15), ("008/10", 0.10), ("105/02", 0.05)),
    STALK: (("008/31", 0.45), ("195/94", 0.30), ("008/71", 0.15), ("008/65", 0.10)),
    RAPE: (("019/07", 0.70), ("019/08", 0.20), ("019/16", 0.10)),
    SEXUAL: (("020/01", 0.55), ("022/01", 0.20), ("088/01", 0.15), ("021/01", 0.10)),
    HOMICIDE: (("001/01", 0.8), ("004/01", 0.2)),
    ROBBERY: (("034/01", 0.9), ("034/02", 0.1)),
    WEAPONS: (("010/04", 0.55), ("010/01", 0.35), ("081/02", 0.10)),
    DRUGS: (("092/40", 0.50), ("092/11", 0.35), ("092/15", 0.15)),
    PUBLIC_ORDER: (("125/14", 0.45), ("125/11", 0.35), ("066/01", 0.20)),
}

# --- Social care ----------------------------------------------------------------------------
REFERRAL_SOURCES = ("Police", "School", "Health", "Self", "Other")
PRIMARY_NEEDS = ("N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8", "N9")

# --- Health ---------------------------------------------------------------------------------
SITES = ("Luton and Dunstable", "Bedford")
LOCATION_TYPES = ("Home", "Street", "Licensed premises", "School", "Other")
WEAPONS_ED = ("None", "Knife or blade", "Blunt object", "Firearm", "Other", "Unknown")

# --- YOS ------------------------------------------------------------------------------------
OUTCOME_TYPES = (
    "Community Resolution",
    "Youth Caution",
    "Youth Conditional Caution",
    "Referral Order",
    "Youth Rehabilitation Order",
    "Custody",
)
OUTCOME_WEIGHTS = (0.30, 0.18, 0.12, 0.22, 0.13, 0.05)
YOS_OFFENCE_TYPE_BY_GROUP = {
    VWI: "Violence against the person",
    VWO: "Violence against the person",
    STALK: "Violence against the person",
    HOMICIDE: "Violence against the person",
    RAPE: "Sexual",
    SEXUAL: "Sexual",
    ROBBERY: "Robbery",
    WEAPONS: "Weapons",
    DRUGS: "Drugs",
    PUBLIC_ORDER: "Other",
}
