"""SYNTHETIC documents for the offline NEEQ/BSE searches: no real NEEQ 日常性关联交易 announcement PDF
could be copied into the corpus (MANIFEST: "Not found"), so the replay serves ones made here.

Every file says so in its name (``*_SYNTHETIC.pdf``) and on its first line. The layout is that of a real
NEEQ announcement: the header line 「证券代码：… 证券简称：… 主办券商：…」 and the board's statement
as NEEQ announcements print them (e.g. 836624 新圆沉香, 2025-12-15), then the sections of the
全国股转公司 template for 关于预计日常性关联交易的公告 — 一、日常性关联交易预计情况 with its 预计情况
table (关联交易类别 / 主要交易内容 / 预计发生金额 / 上年实际发生金额 / 差异较大的原因, 单位：元, a 合计
row), 二、审议情况, 三、定价依据及公允性, 四、交易协议的签署情况, 五、关联交易的必要性及对公司的影响,
六、备查文件目录. The company, the amounts and the broker are invented.
"""

from __future__ import annotations

from pathlib import Path

from replay.pdfrender import Grid, Heading, Para, render

#: the invented NEEQ company the replay lists (code 879999 is not assigned to a listed company)
NEEQ_CODE, NEEQ_NAME, NEEQ_ORG = "879999", "示例科技", "gfbj0879999"
NEEQ_FILE = "neeq_879999_2023_daily_related_party_estimate_SYNTHETIC.pdf"
#: the 预计情况 rows: (类别, 主要交易内容, 预计2023年发生金额, 2022年实际发生金额, 差异原因)
ESTIMATE_ROWS = (
    ("购买原材料、燃料和动力、接受劳务", "向关联方采购电子元器件", "3,000,000.00", "1,856,320.50", "预计订单增加"),
    ("销售产品、商品、提供劳务", "向关联方销售检测设备", "5,000,000.00", "4,210,000.00", ""),
    ("委托关联方销售产品、商品", "-", "0.00", "0.00", ""),
    ("接受关联方委托代为销售其产品、商品", "-", "0.00", "0.00", ""),
    ("其他", "向关联方租赁办公场所", "240,000.00", "240,000.00", ""),
    ("合计", "-", "8,240,000.00", "6,306,320.50", "-"),
)


def render_neeq_estimate(path: Path) -> Path:
    """The SYNTHETIC 「关于预计2023年日常性关联交易的公告」 of the invented NEEQ company."""
    return render(
        path,
        [
            Para("【合成文件 SYNTHETIC：离线回放用，公司与金额均为虚构】"),
            Para(f"证券代码：{NEEQ_CODE}　　证券简称：{NEEQ_NAME}　　主办券商：示例证券"),
            Heading(f"{NEEQ_NAME}股份有限公司关于预计2023年日常性关联交易的公告"),
            Para(
                "本公司及董事会全体成员保证公告内容的真实、准确和完整，没有虚假记载、误导性陈述或者重大遗漏，"
                "并对其内容的真实性、准确性和完整性承担个别及连带法律责任。"
            ),
            Heading("一、日常性关联交易预计情况"),
            Heading("（一）预计情况"),
            Para("单位：元"),
            Grid(
                [
                    "关联交易类别",
                    "主要交易内容",
                    "预计2023年发生金额",
                    "2022年与关联方实际发生金额",
                    "预计金额与上年实际发生金额差异较大的原因",
                ],
                [list(r) for r in ESTIMATE_ROWS],
                col_widths_mm=[42, 38, 28, 30, 32],
            ),
            Heading("（二）关联方基本情况"),
            Para("关联方：示例控股有限公司，系公司控股股东控制的企业。"),
            Heading("二、审议情况"),
            Para("（一）表决和审议情况：2023年4月18日，公司第三届董事会第五次会议审议通过本议案，关联董事回避表决。"),
            Para("（二）本次关联交易尚需提交股东大会审议。"),
            Heading("三、定价依据及公允性"),
            Para("公司与关联方的交易遵循市场定价原则，价格公允，不存在损害公司及其他股东利益的情形。"),
            Heading("四、交易协议的签署情况及主要内容"),
            Para("在预计的日常性关联交易范围内，由公司经营管理层根据业务开展的需要签署相关协议。"),
            Heading("五、关联交易的必要性及对公司的影响"),
            Para("上述关联交易为公司日常经营所需，不影响公司的独立性。"),
            Heading("六、备查文件目录"),
            Para("《示例科技股份有限公司第三届董事会第五次会议决议》"),
        ],
        running_header=f"{NEEQ_NAME} 公告编号：2023-012（合成 SYNTHETIC）",
    )


def render_stand_in(path: Path, title: str) -> Path:
    """A one-page SYNTHETIC stand-in for a listed document whose PDF the corpus does not hold."""
    return render(path, [Para("【合成替身 SYNTHETIC stand-in：语料中没有此文件】"), Heading(title)])


def synthetic_pdfs(folder: Path) -> dict[str, Path]:
    """Render the synthetic files once into ``folder``; name → path."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {NEEQ_FILE: folder / NEEQ_FILE}
    if not out[NEEQ_FILE].is_file():
        render_neeq_estimate(out[NEEQ_FILE])
    stand_in = folder / "bse_430047_stand_in_SYNTHETIC.pdf"
    if not stand_in.is_file():
        render_stand_in(stand_in, "诺思兰德：向不特定合格投资者公开发行股票说明书（合成替身）")
    out[stand_in.name] = stand_in
    return out
