"""Does a string name a company? A gate for competitor names (pure, apart from loading the dictionary once).

A name is reported only with evidence that it is a firm:

* a legal suffix: ``…有限公司``, ``…集团``, ``…株式会社``, ``…厂``, ``Inc``, ``Ltd``, ``GmbH``, ``AG``, ``S.A.``,
  ``Corp``, ``plc``, ``N.V.`` …;
* a stock-code tag: ``（300258）``, ``688xxx.SH``, ``4042.T``, ``WAT.N``;
* the listed-company dictionary (``extractors/data/listed_companies.tsv``, built from cninfo's stock lists
  by ``scripts/build_company_dictionary.py``): a short name (精锻科技) or full name of an A-share / NEEQ firm;
* a Latin-script proper name (GoPro, SCHLETTER, Hydro Aluminium) where the text puts a name: a company
  column, a sub-heading, an enumeration after a company noun.

Products, services, materials and phrases have none of these and are refused. A fragment of a name
(``器有限公司`` for 浙江长城换向器有限公司) is refused too, and a qualifier in front of a name
(``国产品牌``, ``德国的``) is cut off, so the name is the printed string of the firm only.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

from core.places import PLACE
from extractors.text import squash

#: Chinese legal forms at the end of a name (the longest first).
CJK_SUFFIX = re.compile(
    r"(?:股份有限公司|有限责任公司|有限公司|集团股份有限公司|集团有限公司|集团公司|集团|株式会社|公司|总公司|"
    r"会社|商会(?!委员会)|厂|工厂|研究院|研究所)$"
)
#: Latin legal forms at the end of a name: 'Friedrich Nettelhoff GmbH & Co.', 'Isovolta AG', 'Global Wedge Inc.'.
LATIN_SUFFIX = re.compile(
    r"(?:\b(?:Inc|Ltd|Limited|LLC|GmbH(?:\s*&\s*Co\.?(?:\s*KG)?)?|AG|SE|S\.?A\.?|S\.?p\.?A\.?|Corp|Corporation|"
    r"Co|Company|plc|PLC|N\.?V\.?|B\.?V\.?|K\.?K\.?|Oy|AB|ASA|A/S|Pty|S\.?R\.?L|SAS|KG|Group|Holdings?)\.?,?\s*"
    r"(?:Ltd\.?|Co\.?|Inc\.?)?)\)?$",
    re.I,
)
#: A stock-code tag printed with a name: '（300258）', '（688775.SH）', '(4042.T)', '(WAT.N)', 'NYSE: GE'.
STOCK_TAG = re.compile(
    r"(?:\b\d{6}(?:\.(?:SH|SZ|BJ))?\b|\b\d{4,5}\.(?:HK|T)\b|\b[A-Z]{1,5}\.(?:N|O|L|DE|PA)\b|"
    r"(?:NYSE|NASDAQ|纳斯达克|纽交所|港交所|东京证券交易所)\s*[:：]?\s*[A-Z0-9]{1,6})",
    re.I,
)
#: Words that make a phrase a description, not a name ('国内厂商', '太阳能边框供应商', '多个品种').
_PHRASE = re.compile(
    r"[，。；：:！？%]|的|等|及其|以及|主要|其他|其它|上述|本次|我国|国内|国外|境内|境外|行业|领域|市场|产品|系列|品种|"
    r"^(?:大型|中型|小型|中小型?|知名|著名|主要|多家|一批|一些|部分|各类?|同类|[一二三四五六七八九十两几数多\d]+家)|"
    r"供应商$|厂商$|厂家$|企业$|客户$|品牌$|平均|合计|小计|均值|中位数|本公司|发行人|我公司|^(?:全资|控股)?子公司$|^分公司$|"
    # a description that ends in a legal word: '世界第一大油田服务公司', '唯一一家…公司', '最早的…企业之一'
    r"第[一二三四五六七八九十\d]+大|最大|最早|唯一|之一|一家"
)
#: A qualifier printed in front of a name: '国产品牌', '国外厂商', '德国的', '美国 '.
_QUALIFIER = re.compile(
    r"^(?:(?:国产|国外|国内|境外|境内|进口|外资|合资|内资)(?:品牌|厂商|厂家|企业|公司)?的?[：:]?|"
    r"(?:美国|德国|日本|英国|法国|瑞典|瑞士|意大利|荷兰|韩国|澳大利亚|加拿大|芬兰|挪威|丹麦|比利时|奥地利|"
    r"西班牙|以色列|新加坡|印度|台湾|中国台湾|香港|中国香港)的|"
    # any place before a Latin name: '阿联酋的AL MANSOORI', '科威特的SAFWAN'
    r"[\u4e00-\u9fff]{2,5}的(?=\s*[A-Za-z]))"
)
#: Characters that cannot start a name: the tail of a word cut off in front of it.
_BAD_START = set("的之及和与或等由向、，,。；;：:）)")
_LATIN = re.compile(r"^[A-Za-z][A-Za-z0-9&.\-'’ ]{1,60}$")
_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class ListedCompany:
    code: str
    short_name: str
    full_name: str


@cache
def _listed() -> tuple[ListedCompany, ...]:
    """Every line of the shipped dictionary (``extractors/data/listed_companies.tsv``), read once."""
    text = resources.files("extractors").joinpath("data/listed_companies.tsv").read_text("utf-8")
    rows = ([*line.split("\t"), "", ""][:3] for line in text.splitlines() if line and not line.startswith("#"))
    return tuple(ListedCompany(code, short, full) for code, short, full in rows)


@cache
def dictionary() -> tuple[dict[str, ListedCompany], dict[str, ListedCompany]]:
    """(by short name, by full name) of every listed company in the shipped dictionary."""
    by_short: dict[str, ListedCompany] = {}
    by_full: dict[str, ListedCompany] = {}
    for company in _listed():
        if len(company.short_name) >= 2:
            by_short.setdefault(company.short_name, company)
        if company.full_name:
            by_full.setdefault(company.full_name, company)
    return by_short, by_full


@cache
def _by_code() -> dict[str, ListedCompany]:
    """Every code of the shipped dictionary (a firm without a full name, the B share beside the A)."""
    out: dict[str, ListedCompany] = {}
    for company in _listed():
        out.setdefault(company.code, company)
    return out


@cache
def _by_printed_full_name() -> dict[str, ListedCompany]:
    """The full names as a page's text reads after NFKC ('飞潮(上海)…' for the dictionary's '飞潮（上海）…')."""
    return {unicodedata.normalize("NFKC", name): c for name, c in dictionary()[1].items()}


def listed_code(code: str) -> ListedCompany | None:
    """The listed company with this stock code in the shipped dictionary."""
    return _by_code().get(code)


def listed_full_name(name: str) -> ListedCompany | None:
    """The listed company whose full name this is, brackets full- or half-width."""
    return dictionary()[1].get(name) or _by_printed_full_name().get(unicodedata.normalize("NFKC", name))


def listed(name: str) -> ListedCompany | None:
    """The listed company a printed name is: its full name, or its short name (three characters or
    more: two-character short names such as 天微 are words too often)."""
    flat = squash(name)
    by_short, by_full = dictionary()
    if flat in by_full:
        return by_full[flat]
    hit = by_short.get(flat)
    return hit if hit is not None and len(flat) >= 3 else None


def strip_qualifier(name: str) -> str:
    """'国产品牌华为' → '华为'; '德国的Conergy' → 'Conergy'; a name without a qualifier is returned as is."""
    out = _QUALIFIER.sub("", name.strip()).strip()
    return out if len(squash(out)) >= 2 else name.strip()


def is_phrase(name: str) -> bool:
    """A description rather than a name: sentence punctuation, a list, or a generic word
    ('欧洲、日本等…的太阳能边框供应商', '国内厂商', '多个品种')."""
    base = re.sub(r"[（(][^（()）]*[）)]", "", name).strip()
    return bool(_PHRASE.search(squash(base)) or "、" in base) and not listed(squash(name))


def has_legal_suffix(name: str) -> bool:
    flat = squash(re.sub(r"[（(][^（()）]*[）)]$", "", name.strip()))  # '科莱克特（Kolektor）' → its base
    return bool(CJK_SUFFIX.search(flat) or LATIN_SUFFIX.search(name.strip()) or CJK_SUFFIX.search(squash(name)))


def is_fragment(name: str) -> bool:
    """A piece of a name: a legal suffix with one character or none before it ('器有限公司', '有限公司'),
    or a start that is the tail of a cut word ('及XX公司', '）XX')."""
    flat = squash(name)
    if not flat or flat[0] in _BAD_START:
        return True
    m = CJK_SUFFIX.search(flat)
    if m:
        core = flat[: m.start()]
        core = re.sub(r"(?:股份|集团|控股|科技|实业|工业)$", "", core)
        return len(core) < 2
    return False


def latin_proper_name(name: str) -> bool:
    """A Latin-script proper name: 'GoPro', 'SCHLETTER', 'Hydro Aluminium', 'S&C', not a lower-case
    word ('solar') or a unit or a figure."""
    text = name.strip()
    if not _LATIN.match(text) or not re.search(r"[A-Za-z]{2}|&", text):
        return False
    words = re.findall(r"[A-Za-z][A-Za-z0-9&.\-'’]*", text)
    return bool(words) and words[0][0].isupper() and len(words) <= 6


def looks_like_company(name: str, *, name_position: bool = False) -> bool:
    """True when ``name`` carries evidence of being a firm (see the module doc). ``name_position``: the
    text puts a name here (a company column, a sub-heading, an enumeration after a company noun), so a
    Latin proper name or a CJK brand with a Latin name beside it ('科莱克特（Kolektor）') counts too."""
    text = name.strip()
    flat = squash(text)
    if len(flat) < 2 or len(flat) > 60 or is_fragment(text):
        return False
    base = re.sub(r"[（(][^（()）]*[）)]", "", text).strip()  # the name without its bracketed short name
    if is_phrase(text):
        return False
    if has_legal_suffix(text) or STOCK_TAG.search(text) or listed(flat) or listed(base):
        return True
    if not name_position:
        return False
    if latin_proper_name(text) or latin_proper_name(base):
        return True
    # a Latin name behind its country: '日本 Bridgestone', '意大利 Tecnofimes'
    behind = re.match(r"^[\u4e00-\u9fff]{2,5}\s*(?P<latin>[A-Za-z].*)$", base)
    if behind and latin_proper_name(behind.group("latin")):
        return True
    # a CJK name with its Latin name in brackets: '科莱克特（Kolektor）', '雷诺士（Riello）'
    inner = re.findall(r"[（(]([^（()）]+)[）)]", text)
    if any(latin_proper_name(i) or STOCK_TAG.search(i) for i in inner):
        return True
    # a CJK name beside a Latin one without brackets: '美国山特 SANTAK 电源集团公司', 'ActivePower 电源公司'
    return bool(_CJK.search(text) and re.search(r"[A-Z]{2,}", text) and len(flat) <= 30)


def same_firm(a: str, b: str) -> bool:
    """Two printed names of one firm: equal, the same name behind a country ('理光' / '日本理光'), or an
    abbreviation that skips characters of the long one, keeping its first two and the rest in order
    ('福建鸿博股份' and '福建鸿博印刷股份')."""
    x, y = squash(a), squash(b)
    if x == y:
        return True
    short, long_ = (x, y) if len(x) <= len(y) else (y, x)
    if long_.endswith(short) and len(short) >= 2 and _QUALIFIER.match(long_[: -len(short)] + "的"):
        return True  # '理光' and '日本理光': the country printed in front of the name
    if long_.endswith(short) and len(short) >= 6 and CJK_SUFFIX.search(short) and PLACE.fullmatch(long_[: -len(short)]):
        return True  # '恒宝股份有限公司' and '江苏恒宝股份有限公司': the province printed in front
    core = CJK_SUFFIX.sub("", short) or short
    core = re.sub(r"(?:股份|集团)$", "", core) or core
    if len(core) < 4 or short in long_ or short[:2] != long_[:2]:
        # a short name printed whole inside a longer one may be another firm of the group
        # ('深圳华强' and '深圳华强电子网集团股份有限公司'): merged by the caller's own rules, not here
        return False
    it = iter(long_)
    return all(ch in it for ch in short)
