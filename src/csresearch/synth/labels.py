"""Labels of a synthetic dataset in another language: ``csresearch synth --lang ja``.

The generator draws every table with its English labels (``smb``, ``high``,
``manufacturing``, ids ``A000001``...); :func:`localise` then relabels the
drawn tables, so the planted effects and every random draw are the same in
both languages. Japanese labels are those of a Japanese CS team's export:
segments 中小企業 / 中堅企業 / 大企業, touch models ハイタッチ / ロータッチ /
テックタッチ, Japanese industry names, and company names as account ids
(``株式会社アオバ商事``), assigned in a seeded random order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ParameterError

__all__ = ["DESCRIPTIONS", "LABELS", "LANGS", "company_names", "localise"]

#: Languages of the synthetic labels (``en``: the labels the generator draws).
LANGS = ("en", "ja")
#: dataset.yml's description of a generated dataset, per label language.
DESCRIPTIONS = {
    "en": ("csresearch synthetic data: {n_accounts} accounts, seed {seed}; "
           "planted effects in truth.json, model in docs/synthetic-data.md"),
    "ja": ("csresearch 合成データ: {n_accounts}社、シード {seed}、日本語ラベル; "
           "植え込んだ効果は truth.json、生成モデルは docs/synthetic-data.md"),
}

#: Column -> English label -> label per language (``en`` needs none).
LABELS = {
    "ja": {
        "segment": {"smb": "中小企業", "mid": "中堅企業", "enterprise": "大企業"},
        "touch_model": {"high": "ハイタッチ", "low": "ロータッチ", "tech": "テックタッチ"},
        "industry": {
            "manufacturing": "製造業",
            "it_services": "情報通信業",
            "professional_services": "専門サービス業",
            "finance": "金融業",
            "retail": "小売業",
            "construction": "建設業",
            "logistics": "運輸業",
            "healthcare": "医療・福祉",
        },
        "purpose": {"sales_enablement": "営業力強化", "paperless": "ペーパーレス化", "marketing_lists": "マーケティングリスト作成"},
    },
}

_STEMS = ("アオバ", "サクラ", "ミドリ", "ヒカリ", "アサヒ", "ミライ", "ツバサ", "ホシノ", "カエデ", "ヤマト",
          "青葉", "東和", "北斗", "大和", "富士", "三河", "丸山", "中央", "日本橋", "若葉",
          "松風", "緑川", "白石", "高砂", "千代田", "浪速", "瀬戸", "湊", "桜井", "小林",
          "中村", "山田", "田中", "鈴木", "佐藤", "高橋", "伊藤", "渡辺", "加藤", "吉田")
_TRADES = ("商事", "工業", "製作所", "物産", "建設", "運輸", "電機", "精機", "化学", "食品",
           "印刷", "不動産", "設計", "技研", "システムズ", "ソリューションズ", "テクノロジー", "ホールディングス",
           "サービス", "商会", "興産", "産業", "製薬", "電子", "通信")
_FORMS = ("株式会社{}", "{}株式会社", "合同会社{}", "有限会社{}")
_PLACES = ("", "東京", "大阪", "名古屋", "札幌", "福岡", "仙台", "広島", "神戸", "京都", "横浜",
           "千葉", "埼玉", "静岡", "新潟", "金沢", "岡山", "熊本", "鹿児島", "那覇", "長野")


def _company_name(k: int) -> str:
    """The ``k``-th company name of a fixed enumeration (unique for every ``k >= 0``)."""
    per_place = len(_FORMS) * len(_STEMS) * len(_TRADES)
    rest, within = divmod(k, per_place)
    cycle, place = divmod(rest, len(_PLACES))
    form, within = divmod(within, len(_STEMS) * len(_TRADES))
    stem, trade = divmod(within, len(_TRADES))
    name = _PLACES[place] + _STEMS[stem] + _TRADES[trade] + (f"{cycle + 1}" if cycle else "")
    return _FORMS[form].format(name)


def company_names(n: int, rng: np.random.Generator) -> list[str]:
    """``n`` distinct company-name-like account ids (株式会社アオバ商事...), in a random order drawn from ``rng``.

    Parameters
    ----------
    n : int
        Number of names.
    rng : numpy Generator
        Random stream of the relabelling.

    Returns
    -------
    list of str
    """
    per_place = len(_FORMS) * len(_STEMS) * len(_TRADES)
    pool = -(-max(n, 1) // per_place) * per_place  # whole blocks: names without a place come first
    return [_company_name(int(k)) for k in rng.permutation(pool)[:n]]


def localise(tables: dict[str, pd.DataFrame], lang: str, rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """``tables`` with the labels of ``lang``: account ids in every table, segment, touch model and industry.

    Parameters
    ----------
    tables : dict of str to DataFrame
        Drawn contract tables (English labels, before typing and sorting).
    lang : {"en", "ja"}
        Language of the labels; ``en`` returns ``tables`` unchanged.
    rng : numpy Generator
        Random stream for the order of the company names.

    Returns
    -------
    dict of str to DataFrame

    Raises
    ------
    ParameterError
        For a language without labels.
    """
    if lang not in LANGS:
        raise ParameterError(f"lang must be one of {', '.join(LANGS)}, not {lang!r}")
    if lang == "en":
        return tables
    ids = tables["accounts"]["account_id"]
    new_id = dict(zip(ids, company_names(len(ids), rng)))
    out = {}
    for name, frame in tables.items():
        frame = frame.copy()
        if "account_id" in frame.columns:
            frame["account_id"] = frame["account_id"].map(new_id)
        for column, labels in LABELS[lang].items():
            if name == "accounts" and column in frame.columns:
                frame[column] = frame[column].map(labels, na_action="ignore")
        out[name] = frame
    return out
