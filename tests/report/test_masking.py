import hashlib
import hmac
import os
import re
import stat
import subprocess
import sys
import threading

import numpy as np
import pandas as pd
import pytest

from socialops.report.masking import (
    FREE_TEXT_COLUMNS,
    KEY_FILE_ENV,
    PERSONAL_ID_COLUMNS,
    SALT_ENV,
    MaskKeyError,
    key_path,
    mask,
    mask_frame,
    mask_key,
    mask_source,
    mask_text,
    pseudonym,
    read_or_create_key,
)
from tests.conftest import ROOT

TOKEN = re.compile(r"u-[0-9a-f]{10}")


@pytest.fixture(autouse=True)
def _no_salt_from_env(monkeypatch):
    monkeypatch.delenv(SALT_ENV, raising=False)


@pytest.fixture
def key_file(tmp_path, monkeypatch):
    """A key location of this test alone (not yet created)."""
    path = tmp_path / "config" / "socialops" / "mask-key"
    monkeypatch.setenv(KEY_FILE_ENV, str(path))
    return path


def hmac_token(key: bytes, text: str) -> str:
    return "u-" + hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:10]


def test_pseudonym_is_a_stable_hmac_token_under_the_key():
    token = pseudonym("user_0042")
    assert TOKEN.fullmatch(token)
    assert token == pseudonym("user_0042")
    assert token == hmac_token(mask_key(), "user_0042")
    assert pseudonym("user_0042", salt="s3cret") == hmac_token(b"s3cret", "user_0042") != token
    assert pseudonym("user_0043") != token
    # not a digest anyone can compute from the id alone, salted or not
    assert token not in {"u-" + hashlib.sha256(f"{s}user_0042".encode()).hexdigest()[:10] for s in ("", "\x00")}


def test_the_key_file_is_created_once_private_and_reused(key_file):
    token = pseudonym("13800138000")
    key = key_file.read_bytes()
    assert len(key) == 32 and mask_key() == key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    assert token == hmac_token(key, "13800138000")
    mtime = key_file.stat().st_mtime_ns
    assert read_or_create_key(key_file) == key  # read, not made anew
    assert key_file.stat().st_mtime_ns == mtime
    assert [p.name for p in key_file.parent.iterdir()] == ["mask-key"]  # no temporary file left


def test_first_runs_at_the_same_time_agree_on_one_key(key_file):
    keys = []
    threads = [threading.Thread(target=lambda: keys.append(read_or_create_key(key_file))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(keys)) == 1 and keys[0] == key_file.read_bytes()


def test_the_environment_key_wins_over_the_file(key_file, monkeypatch):
    from_file = pseudonym("abc")
    monkeypatch.setenv(SALT_ENV, "from-env")
    assert pseudonym("abc") == pseudonym("abc", salt="from-env") == hmac_token(b"from-env", "abc") != from_file
    monkeypatch.setenv(SALT_ENV, "")  # set but empty: no key at all would be guessable, so the file is used
    assert pseudonym("abc") == from_file


def test_key_location_follows_the_configuration_folder(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert key_path() == tmp_path / "xdg" / "socialops" / "mask-key"
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert key_path() == tmp_path / "home" / ".config" / "socialops" / "mask-key"
    monkeypatch.setenv(KEY_FILE_ENV, "~/keys/mask")
    assert key_path() == tmp_path / "home" / "keys" / "mask"


def _open_key(folder):
    path = folder / "mask-key"
    path.write_bytes(os.urandom(32))
    path.chmod(0o644)
    return path


def _short_key(folder):
    path = folder / "mask-key"
    path.write_bytes(b"short")
    path.chmod(0o600)
    return path


def _key_under_a_file(folder):
    (folder / "socialops").write_text("a file where the key's folder should be", encoding="utf-8")
    return folder / "socialops" / "mask-key"


@pytest.mark.parametrize(
    ("make", "message"),
    [(_open_key, "open to other users"), (_short_key, "holds 5 bytes"), (_key_under_a_file, "cannot read or create")],
)
def test_a_bad_key_file_is_a_clear_error(tmp_path, make, message):
    path = make(tmp_path)
    with pytest.raises(MaskKeyError, match=message) as error:
        read_or_create_key(path)
    assert str(path) in str(error.value)


def test_the_same_id_gets_the_same_pseudonym_in_every_run(key_file):
    # two fresh interpreters, as two runs (or a notebook opened outside the command) would be
    code = "from socialops.report.masking import pseudonym; print(pseudonym('u_000123'))"
    env = {k: v for k, v in os.environ.items() if k != SALT_ENV}
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT,
                           check=True).stdout.strip() for _ in range(2)]
    assert runs[0] == runs[1] == pseudonym("u_000123")


def test_pseudonym_treats_number_and_text_alike_and_is_idempotent():
    assert pseudonym(13800138000) == pseudonym("13800138000") == pseudonym(13800138000.0)
    assert pseudonym("0013800138000") != pseudonym("13800138000")  # leading zeros are part of an id
    token = pseudonym("小红薯123")
    assert pseudonym(token) == token


def test_pseudonyms_do_not_collide_on_many_ids():
    ids = [f"user_{i:06d}" for i in range(20000)]
    assert len({pseudonym(i) for i in ids}) == len(ids)


@pytest.mark.parametrize(
    "text",
    [
        "电话13800138000",
        "call 13800138000.",
        "+86 138 0013 8000",
        "+86-138-0013-8000",
        "0086 13800138000",
        "8613800138000",
        "手机：199-1234-5678，谢谢",
        "(138 0013 8000)",
    ],
)
def test_mobile_numbers_are_masked(text):
    out = mask_text(text)
    assert "[phone]" in out
    assert not re.search(r"\d{4}", out)


@pytest.mark.parametrize(
    "text",
    [
        "客服 010-12345678",
        "座机(021)5888 6666",
        "0755-86013388转123",
        "+86 10 8888 6666",
        "tel: 0571 88886666",
    ],
)
def test_landlines_are_masked(text):
    out = mask_text(text)
    assert "[phone]" in out
    assert not re.search(r"\d{4}", out), out


@pytest.mark.parametrize(
    "text",
    [
        "订单号 2026093012",
        "订单号 SO13800138000",
        "曝光 12,345,678 次",
        "2026-09-30 12:00:00 发布",
        "价格 1999 元，库存 23800 件",
        "流水号 138001380001234",
        "转化率 0.1380013800",
        "版本 v13800138000",
        "400-820-8820",
    ],
)
def test_ordinary_numbers_are_not_phones(text):
    assert mask_text(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("加我vx: abc_123456 领券", "加我vx: [contact] 领券"),
        ("微信号：Li-Lei2026", "微信号：[contact]"),
        ("QQ 12345678", "QQ [contact]"),
        ("扣扣号3456789012，私聊", "扣扣号[contact]，私聊"),
        ("WeChat ID wxid_abc123", "WeChat ID [contact]"),
    ],
)
def test_contact_handles_after_their_keyword(text, expected):
    assert mask_text(text) == expected


@pytest.mark.parametrize(
    "text", ["微信公众号推文阅读 12000", "QQ音乐 榜单", "vx 5 次", "wechat payment", "linux_wx_handle12 here"]
)
def test_keywords_without_a_handle_stay(text):
    assert mask_text(text) == text


def test_email_and_id_card():
    out = mask_text("邮箱 li.lei+promo@example.com.cn，身份证 11010519491231002X 和 440308199001011234")
    assert out == "邮箱 [email]，身份证 [id-card] 和 [id-card]"


def test_id_card_needs_a_real_date():
    assert mask_text("编号 110105194913310021") == "编号 110105194913310021"  # month 13


@pytest.mark.parametrize(
    ("text", "nick"),
    [
        ("@小红薯123 说得对", "小红薯123"),
        ("感谢@品牌官方小助手，已解决", "品牌官方小助手"),
        ("cc @alice_w-2 please", "alice_w-2"),
        ("全角＠张三 你好", "张三"),
    ],
)
def test_mentions_become_pseudonyms(text, nick):
    out = mask_text(text)
    assert "@" + pseudonym(nick) in out
    assert nick not in out


def test_mask_text_is_idempotent_and_keeps_plain_text():
    text = "@小红薯123 的电话 13800138000，邮箱 a@b.cn"
    once = mask_text(text)
    assert mask_text(once) == once
    assert mask_text("今天天气不错 good day 100%") == "今天天气不错 good day 100%"


def test_known_ids_inside_text():
    out = mask_text(
        "用户 u_00123 邀请了 wx-abc99，还有 u_001234 和 2026", known_ids=["u_00123", "wx-abc99", "2026"]
    )
    assert out == f"用户 {pseudonym('u_00123')} 邀请了 {pseudonym('wx-abc99')}，还有 u_001234 和 2026"


def test_column_sets_cover_the_contract_columns():
    assert {"user_id", "unit_id", "referrer_id", "nickname", "author", "phone"} <= PERSONAL_ID_COLUMNS
    assert {"text", "title", "comment"} <= FREE_TEXT_COLUMNS
    assert not PERSONAL_ID_COLUMNS & FREE_TEXT_COLUMNS


def test_mask_frame():
    df = pd.DataFrame(
        {
            "user_id": ["u_00001", "u_00002", None, "u_00001"],
            "Nickname": ["小红薯123", "bob", "carol", "小红薯123"],
            "impressions": [13800138000, 5, 7, 9],
            "post_id": ["13800138000", "p2", "p3", "p4"],
            "text": ["我是 u_00002，电话 13800138000", np.nan, "@carol 你好", "无"],
            "platform": ["xiaohongshu"] * 4,
        }
    )
    original = df.copy()
    out = mask_frame(df)
    pd.testing.assert_frame_equal(df, original)  # the input is not modified
    assert out["user_id"].tolist()[:2] == [pseudonym("u_00001"), pseudonym("u_00002")]
    assert out["user_id"].isna().tolist() == [False, False, True, False]
    assert out["user_id"].nunique() == df["user_id"].nunique()  # counts still work
    assert out["Nickname"].tolist() == [pseudonym(v) for v in df["Nickname"]]
    assert out["text"].isna().tolist() == [False, True, False, False]
    assert out["text"].dropna().tolist() == [
        f"我是 {pseudonym('u_00002')}，电话 [phone]",
        f"@{pseudonym('carol')} 你好",
        "无",
    ]
    # Numbers and non-personal columns are untouched, even when they look like a phone number.
    pd.testing.assert_series_equal(out["impressions"], df["impressions"])
    pd.testing.assert_series_equal(out["post_id"], df["post_id"])
    pd.testing.assert_series_equal(out["platform"], df["platform"])


def test_mask_frame_numeric_phone_column_and_index():
    df = pd.DataFrame(
        {"phone": [13800138000, 13900139000], "n": [1, 2]}, index=pd.Index(["a1b2c", "x9y8z"], name="user_id")
    )
    out = mask_frame(df)
    assert out["phone"].tolist() == [pseudonym("13800138000"), pseudonym("13900139000")]
    assert out.index.tolist() == [pseudonym("a1b2c"), pseudonym("x9y8z")]
    assert out.index.name == "user_id"
    assert out["n"].tolist() == [1, 2]


def test_mask_frame_multiindex_level():
    idx = pd.MultiIndex.from_tuples(
        [("douyin", "u_00001"), ("weibo", "u_00002")], names=["platform", "user_id"]
    )
    out = mask_frame(pd.DataFrame({"n": [1, 2]}, index=idx))
    assert out.index.get_level_values("platform").tolist() == ["douyin", "weibo"]
    assert out.index.get_level_values("user_id").tolist() == [pseudonym("u_00001"), pseudonym("u_00002")]


def test_mask_frame_custom_columns():
    df = pd.DataFrame({"member": ["m-0001"], "note_text": ["找 m-0001"], "text": ["13800138000"]})
    out = mask_frame(df, id_columns=["member"], text_columns=["note_text"])
    assert out.iloc[0].tolist() == [pseudonym("m-0001"), f"找 {pseudonym('m-0001')}", "13800138000"]


def test_mask_dispatches_on_type():
    assert mask("电话 13800138000") == "电话 [phone]"
    s = pd.Series(["u_00001", None], name="referrer_id")
    assert mask(s).tolist() == [pseudonym("u_00001"), None]
    assert mask(s).name == "referrer_id"
    counts = pd.Series([3, 4], name="likes")
    pd.testing.assert_series_equal(mask(counts), counts)
    assert mask(42) == 42


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("wxid_abc123xyz 加我", "[contact] 加我"),
        ("微信:zhangsan 私聊", "微信:[contact] 私聊"),
        ("VX：LiLeiShop", "VX：[contact]"),
        ("wx: hanmeimei88", "wx: [contact]"),
        ("WX zhangsan_88", "WX [contact]"),
        ("微信 zhangsan88", "微信 [contact]"),
    ],
)
def test_wechat_ids_with_or_without_a_colon(text, expected):
    assert mask_text(text) == expected


@pytest.mark.parametrize(
    "source",
    [
        'client = "Brand\\n13912345678"',
        "client = 'Brand\\t+86 139 1234 5678'",
        'client = "\\u738b 13912345678"',
        'client = "a\\\\13912345678"',
        'client = ("Brand "\n          "13912345678")',
        "client = '13912345678'  # call 13912345678",
    ],
)
def test_mask_source_masks_string_literals_however_they_are_escaped(source):
    given, values = {}, {}
    exec(compile(source, "<given>", "exec"), {}, given)
    assert mask_text(given["client"]) != given["client"]  # the value holds a phone number ...
    masked = mask_source(source)
    exec(compile(masked, "<masked>", "exec"), {}, values)  # ... and the masked code still runs
    assert values["client"] == mask_text(given["client"])
    assert not re.search(r"139\D?1234", masked)


def test_mask_source_keeps_other_code_and_survives_code_that_does_not_parse():
    source = '# Parameters\nlang = "zh"\nchurn_days = 90\nname = f"{lang}"\n'
    assert mask_source(source) == source
    assert mask_source('client = "13912345678') == 'client = "[phone]'


def test_mask_treats_every_text_cell_of_a_table_as_free_text():
    shown = pd.DataFrame({"词语": ["wxid_abc123", "退款", "@小鹿爱喝咖啡"], "次数": [3, 2, 1],
                          "user_id": ["u_00001", "u_00002", "u_00003"]})
    out = mask(shown)
    assert out["词语"].tolist() == ["[contact]", "退款", "@" + pseudonym("小鹿爱喝咖啡")]
    assert out["user_id"].tolist() == [pseudonym(f"u_0000{i}") for i in (1, 2, 3)]
    assert out["次数"].tolist() == [3, 2, 1]
    # mask_frame keeps its named free-text columns unless asked
    assert mask_frame(shown)["词语"].tolist() == shown["词语"].tolist()
