"""Name pools for the demo district, grouped by family heritage.

A family's heritage picks its names and, loosely, its reported race and ethnicity, so that the
demo looks like a real American district rather than a uniform shuffle. The pools deliberately
include names that break naive software: accents (José, Zoë), Vietnamese diacritics that do not
exist in Windows-1252 (Nguyễn), typographic apostrophes (O’Brien), hyphens and spaces.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from gateway.demo.model import RaceCode, Sex


@dataclass(frozen=True, slots=True)
class Heritage:
    weight: float
    races: tuple[RaceCode, ...]
    hispanic_share: float
    male: tuple[str, ...]
    female: tuple[str, ...]
    family: tuple[str, ...]


def _t(text: str) -> tuple[str, ...]:
    return tuple(text.split("|"))


HERITAGES: tuple[Heritage, ...] = (
    Heritage(
        38, ("W",), 0.0,
        _t("James|Liam|Noah|Ethan|Owen|Henry|Lucas|Jack|Connor|Wyatt|Samuel|Daniel|Søren|Łukasz"),
        _t("Emma|Olivia|Ava|Zoë|Chloé|Renée|Claire|Hannah|Abigail|Grace|Madison|Brooke|Siobhán"),
        _t(
            "Smith|Johnson|Miller|Anderson|O’Brien|O’Connor|Sullivan|Kowalski|Schmidt|Müller"
            "|Larsen|Dvořák|D’Angelo|Bianchi|Fitzgerald|Murphy|Walsh|Becker|Van der Berg"
        ),
    ),
    Heritage(
        25, ("W",), 1.0,
        _t("José|Mateo|Santiago|Diego|Luis|Ángel|Andrés|Sebastián|Julián|Carlos|Tomás"),
        _t("María|Sofía|Valentina|Camila|Lucía|Ximena|Mía|Daniela|Isabel|Renata|Inés"),
        _t(
            "García|Hernández|Martínez|López|González|Rodríguez|Pérez|Sánchez|Ramírez"
            "|Flores|Núñez|Ibáñez|Castillo|Ortiz|De la Cruz"
        ),
    ),
    Heritage(
        13, ("B",), 0.02,
        _t("Jalen|Marcus|Darius|Malik|Isaiah|Jordan|Terrence|André|Xavier|Elijah"),
        _t("Aaliyah|Imani|Jasmine|Nia|Destiny|Kiara|Maya|Brianna|Zuri|Taliyah|Dominique"),
        _t("Washington|Jackson|Robinson|Harris|Freeman|Coleman|Brooks|Jenkins|Banks|Booker"),
    ),
    Heritage(
        3, ("B",), 0.0,
        _t("Chinedu|Oluwaseun|Kwame|Emeka|Kofi|Tunde|Abdirahman|Mohamed"),
        _t("Adaeze|Chiamaka|Amara|Ngozi|Abena|Folake|Hodan|Fadumo"),
        _t("Okafor|Adeyemi|Mensah|Okonkwo|Boateng|Nwosu|Warsame|Farah|Abdi"),
    ),
    Heritage(
        3, ("A",), 0.0,
        _t("Minh|Huy|Khoa|Bảo|Đức|Tuấn|Quang"),
        _t("Linh|Ngọc|Thảo|Trâm|Vy|Hương|Mai"),
        _t("Nguyễn|Trần|Lê|Phạm|Hoàng|Võ|Đặng"),
    ),
    Heritage(
        3, ("A",), 0.0,
        _t("Wei|Jun|Hao|Zhiwei|Ming|Kenji|Haruto"),
        _t("Mei|Xinyi|Yue|Jing|Lan|Yuna|Sakura"),
        _t("Wang|Li|Zhang|Liu|Chen|Huang|Zhao|Tanaka|Sato"),
    ),
    Heritage(
        1.5, ("A",), 0.0,
        _t("Min-jun|Seo-jun|Ji-ho|Jae-won"),
        _t("Seo-yeon|Ji-woo|Ha-eun|Soo-ah"),
        _t("Kim|Lee|Park|Choi|Jung|Kang"),
    ),
    Heritage(
        3, ("A",), 0.0,
        _t("Arjun|Rohan|Aarav|Vikram|Siddharth|Ishaan"),
        _t("Priya|Ananya|Diya|Kavya|Saanvi|Meera"),
        _t("Patel|Sharma|Singh|Reddy|Iyer|Desai|Chatterjee"),
    ),
    Heritage(
        2, ("W",), 0.0,
        _t("Omar|Yusuf|Karim|Hamza|Zayd"),
        _t("Layla|Noor|Yasmin|Amira|Salma"),
        _t("Haddad|Nasser|Khalil|Saleh|Mansour|Al-Sayed"),
    ),
    Heritage(
        1, ("I",), 0.1,
        _t("Tyler|Dakota|Ahiga|Mason|Elias"),
        _t("Aiyana|Winona|Kaya|Savannah|Naomi"),
        _t("Begay|Yazzie|Tsosie|Benally|Nez|Attakai"),
    ),
    Heritage(
        0.5, ("P",), 0.0,
        _t("Keoni|Malakai|Sione|Tevita"),
        _t("Leilani|Mele|Kalani|Losa"),
        _t("Kahananui|Fonoti|Tuilagi|Kealoha|Fifita|Taufa"),
    ),
    Heritage(
        4, ("W", "B"), 0.1,
        _t("Jaden|Cameron|Miles|Adrian|Julian"),
        _t("Alana|Jada|Naomi|Sienna|Aria"),
        _t("Morgan|Bennett|Carter|Ellis|Hayes"),
    ),
    Heritage(
        2, ("W", "A"), 0.05,
        _t("Kai|Leo|Ryan|Nathan|Koa"),
        _t("Hana|Mila|Nora|Lily|Ayumi"),
        _t("Tanaka-Reyes|Cho|Lin|Moreno|Sato"),
    ),
)

NEUTRAL_GIVEN_NAMES = _t("Jordan|Riley|Avery|Quinn|Rowan|Sasha|Emerson|Skyler|Noé")

_HERITAGE_WEIGHTS = tuple(h.weight for h in HERITAGES)


def pick_heritage(rng: random.Random) -> Heritage:
    return rng.choices(HERITAGES, weights=_HERITAGE_WEIGHTS)[0]


def given_name(rng: random.Random, heritage: Heritage, sex: Sex) -> str:
    if sex == "X":
        return rng.choice(NEUTRAL_GIVEN_NAMES)
    return rng.choice(heritage.male if sex == "M" else heritage.female)


def family_name(rng: random.Random, heritage: Heritage) -> str:
    return rng.choice(heritage.family)
