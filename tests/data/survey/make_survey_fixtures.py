"""Write the hand-made survey exports used by tests/test_io_survey.py.

Every table below is written out literally so that a reader can check the expected values in the
tests by eye. Run from the repository root:

    .venv/bin/python tests/data/survey/make_survey_fixtures.py

The outputs are committed; re-running rewrites them byte-for-byte the same content (openpyxl
stamps a creation time, so Excel files differ only in metadata).

Files
-----
villages.csv            tiny register: V01 大岭村, V02 罗湖村, V03 公园社区
wjx_text.xlsx           问卷星 "按选项文本": ┋ multiple choice, matrix "N、题—行", 填空, knowledge,
                        phone question, 来自IP, a blank row, an unknown village
wjx_text_codebook.xlsx  codebook overriding two guesses (q5 positive, q10 correct answer)
wjx_number.xlsx         问卷星 "按序号": option numbers, 0/1 columns "7(选项)", matrix "8(行)", -3
wjx_number_codebook.xlsx its options (选项) so numbers become labels
kobo.xlsx               KoboToolbox, XML names, "grp/q" groups, select_multiple summary + 0/1
kobo_codebook.csv       codebook for the Kobo XML values (know/heard/not_know)
kobo_labels.csv         KoboToolbox ";" CSV with label headers and 0/1 option columns only
odk_briefcase.csv       ODK Briefcase: "-" groups, space-separated select_multiple, geopoint
odk_central.csv         ODK Central: ReviewState (approved / rejected / hasIssues), submitter
plain.csv               a plain canonical table, GB18030-encoded, with weights (权重)
town_wjx.xlsx           the sample town's 问卷星 layout (序号 … 11、联系电话, 总分)
town_codebook.xlsx      its codebook (类别, 肯定答案, 无效答案, 正确答案)
"""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent


def write_xlsx(name: str, rows: list[list[object]], sheet: str = "Sheet1") -> None:
    book = Workbook()
    ws = book.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    book.save(HERE / name)


def write_csv(name: str, rows: list[list[object]], *, sep: str = ",", encoding: str = "utf-8"):
    with open(HERE / name, "w", newline="", encoding=encoding) as handle:
        writer = csv.writer(handle, delimiter=sep, lineterminator="\n")
        writer.writerows(rows)


WJX_META = ["序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP"]


def villages() -> None:
    write_csv("villages.csv", [
        ["village_id", "village_name"],
        ["V01", "大岭村"],
        ["V02", "罗湖村"],
        ["V03", "公园社区"],
    ])


def wjx_text() -> None:
    header = WJX_META + [
        "1、您所在的村（社区）：",
        "2、您的性别：",
        "3、您的年龄段：",
        "4、您是否知道《中华人民共和国民法典》？",
        "5、您对本镇普法工作是否满意？",
        "6、您是否支持在村里设立法治宣传栏？",
        "7、您通过哪些渠道了解法律知识？（多选）",
        "8、您对下列普法阵地的评价—法治宣传栏",
        "8、您对下列普法阵地的评价—普法讲堂",
        "9、您对普法工作有什么建议？",
        "10、遇到电信诈骗，下列做法正确的是？",
        "11、您的联系电话（选填）：",
        "12、其他意见：",
        "总分",
    ]
    ip = "113.96.1.{}(广东-梅州)"
    rows = [
        header,
        # Excel row 2
        [1, "2025/11/03 10:21:33", "125秒", "微信", "N/A", ip.format(23), "大岭村", "男",
         "18-29岁", "知道", "满意", "支持", "电视广播┋微信群", "满意", "比较满意", "多开讲座",
         "拨打110报警", "13800138000", "(空)", 0],
        # Excel row 3
        [2, "2025/11/03 10:40:02", "98秒", "手机提交", "N/A", ip.format(24), "罗湖", "女",
         "60岁及以上", "听说过", "不清楚", "比较支持", "宣传栏", "不满意", "满意", "(空)",
         "不知道", "(空)", "无", 0],
        # Excel row 4: blank
        [None] * len(header),
        # Excel row 5: the 其他〖…〗 box holds a phone number; q12 holds one with spaces
        [3, "2025/11/04 09:00:00", "200秒", "链接", "N/A", ip.format(25), "公园社区居委会", "女",
         "30-44岁", "不知道", "比较满意", "不支持", "其他〖我的电话13912345678〗", "(跳过)",
         "(跳过)", "希望常来村里", "把钱转到安全账户", "13912345678", "请联系我 139 1234 5678", 0],
        # Excel row 6: a village not in the register
        [4, "2025/11/04 10:00:00", "60秒", "链接", "N/A", ip.format(26), "新村", "男",
         "45-59岁", "知道", "满意", "支持", "微信群", "满意", "满意", "(空)", "拨打110报警",
         "(空)", "(空)", 0],
        # Excel row 7: name written with spaces; q4 and q7 skipped by logic
        [5, "2025/11/05 08:30:00", "75秒", "链接", "N/A", ip.format(27), " 大岭 村 ", "男",
         "18-29岁", "(跳过)", "不太满意", "支持", "(跳过)", "比较满意", "不满意", "(空)", "(空)",
         "(空)", "(空)", 0],
    ]
    write_xlsx("wjx_text.xlsx", rows)
    write_xlsx("wjx_text_codebook.xlsx", [
        ["题号", "题目", "类别", "肯定答案", "无效答案", "正确答案"],
        ["5", None, None, "满意", None, None],
        ["10", None, None, None, None, "拨打110报警"],
        ["99", "不存在的题", "知晓", "知道", None, None],
    ], sheet="编码表")


def wjx_number() -> None:
    header = WJX_META + [
        "1、您所在的村（社区）：",
        "2、您的性别：",
        "3、您的年龄：",
        "4、您是否知道《中华人民共和国民法典》？",
        "5、您对本镇普法工作是否满意？",
        "7(电视广播)", "7(微信群)", "7(宣传栏)", "7(其他)",
        "8(法治宣传栏)", "8(普法讲堂)",
        "10、遇到电信诈骗，下列做法正确的是？",
        "总分",
    ]
    rows = [
        header,
        [1, "2025/11/03 10:21:33", "125秒", "微信", "N/A", "113.96.1.23(广东-梅州)",
         1, 1, 25, 1, 1, 1, 1, 0, 0, 1, 2, 1, 0],
        [2, "2025/11/03 10:40:02", "98秒", "微信", "N/A", "113.96.1.24(广东-梅州)",
         2, 2, 67, 2, 5, 0, 0, 1, 0, 4, 1, 3, 0],
        [3, "2025/11/04 09:00:00", "200秒", "链接", "N/A", "113.96.1.25(广东-梅州)",
         3, 2, 44, 3, 2, 0, 0, 0, 1, -3, -3, 2, 0],
        # 按序号: -3 = skipped by logic, -2 = left empty
        [5, "2025/11/05 08:30:00", "75秒", "链接", "N/A", "113.96.1.27(广东-梅州)",
         1, 1, 22, -3, 3, -3, -3, -3, -3, 2, 4, -2, 0],
    ]
    write_xlsx("wjx_number.xlsx", rows)
    write_xlsx("wjx_number_codebook.xlsx", [
        ["题号", "题目", "类别", "选项", "正确答案", "题型"],
        ["q1", "您所在的村（社区）", None, "大岭村、罗湖村、公园社区", None, "单选"],
        ["q2", "您的性别", None, "男、女", None, "单选"],
        ["q4", None, None, "知道、听说过、不知道", None, "单选"],
        ["q5", None, None, "满意、比较满意、不太满意、不满意、不清楚", None, "单选"],
        ["q8", "您对下列普法阵地的评价", "满意", "满意、比较满意、不太满意、不满意", None, "矩阵"],
        ["q10", None, "知识", "拨打110报警、把钱转到安全账户、不知道", "拨打110报警", "单选"],
    ], sheet="编码表")


def kobo() -> None:
    header = [
        "start", "end", "today", "deviceid", "phonenumber",
        "grp_info/village", "grp_info/gender", "grp_info/age",
        "grp_law/q1", "grp_law/q2", "grp_law/q2/tv", "grp_law/q2/wechat", "grp_law/q2/board",
        "grp_law/comment",
        "_id", "_uuid", "_submission_time", "_validation_status", "_index",
    ]
    rows = [
        header,
        ["2025-11-03T10:00:00.000+08:00", "2025-11-03T10:20:00.000+08:00", "2025-11-03",
         "imei:867530912345678", "13800138000", "大岭村", "male", 34, "know", "tv wechat",
         1, 1, 0, "很好", 101, "uuid-a1", "2025-11-03T02:21:33", "validation_status_approved",
         1],
        ["2025-11-03T11:00:00.000+08:00", "2025-11-03T11:20:00.000+08:00", "2025-11-03",
         "imei:867530912345679", None, "罗湖村", "female", 61, "heard", "board", 0, 0, 1,
         "身份证11010519491231002X", 102, "uuid-a2", "2025-11-03T03:00:00", None, 2],
        ["2025-11-04T09:00:00.000+08:00", "2025-11-04T09:20:00.000+08:00", "2025-11-04",
         "imei:867530912345670", None, "公园社区", "female", 19, "not_know", "tv", 1, 0, 0,
         None, 103, "uuid-a3", "2025-11-04T01:00:00", "validation_status_not_approved", 3],
        ["2025-11-04T10:00:00.000+08:00", "2025-11-04T10:20:00.000+08:00", "2025-11-04",
         "imei:867530912345671", None, "大岭村", "male", 45, "know", None, None, None, None,
         None, 104, "uuid-a4", "2025-11-04T02:00:00", None, 4],
    ]
    write_xlsx("kobo.xlsx", rows, sheet="普法知晓率问卷")
    write_csv("kobo_codebook.csv", [
        ["item", "text", "domain", "positive", "missing", "options"],
        ["q1", "您是否知道《民法典》？", "awareness", "know|heard", "", "know|heard|not_know"],
    ])


def kobo_labels() -> None:
    write_csv("kobo_labels.csv", [
        ["基本信息/您所在的村（社区）", "基本信息/性别", "基本信息/年龄段",
         "普法/您是否知道《民法典》？", "普法/您通过哪些渠道了解法律？/电视",
         "普法/您通过哪些渠道了解法律？/微信群", "_uuid", "_submission_time", "_index"],
        ["大岭村", "男", "18-29岁", "知道", 1, 0, "uuid-k1", "2025-11-03T10:21:33", 1],
        ["罗湖村", "女", "30-44岁", "不知道", 0, 1, "uuid-k2", "2025-11-03T11:00:00", 2],
        ["大岭村", "女", "60岁及以上", "听说过", 1, 1, "uuid-k3", "2025-11-04T09:00:00", 3],
        ["罗湖村", "男", "45-59岁", "知道", 0, 0, "uuid-k3", "2025-11-04T10:00:00", 4],
    ], sep=";", encoding="utf-8-sig")


def odk() -> None:
    write_csv("odk_briefcase.csv", [
        ["SubmissionDate", "start", "end", "deviceid", "grp-village", "grp-gender", "grp-age",
         "grp-q1", "grp-q2", "grp-gps-Latitude", "grp-gps-Longitude", "grp-gps-Altitude",
         "grp-gps-Accuracy", "meta-instanceID", "KEY"],
        ["Nov 3, 2025 10:21:33 AM", "Nov 3, 2025 10:00:00 AM", "Nov 3, 2025 10:20:00 AM",
         "collect:abc123", "大岭", "男", 25, "知道", "tv wechat", 23.9397, 115.7792, 0, 5,
         "uuid:o1", "uuid:o1"],
        ["Nov 3, 2025 11:05:00 AM", "Nov 3, 2025 11:00:00 AM", "Nov 3, 2025 11:04:00 AM",
         "collect:abc123", "罗湖村委会", "女", 67, "不知道", "board", 23.9401, 115.7801, 0, 5,
         "uuid:o2", "uuid:o2"],
        ["Nov 4, 2025 9:00:00 AM", "Nov 4, 2025 8:50:00 AM", "Nov 4, 2025 8:59:00 AM",
         "collect:abc124", "", "女", 40, "听说过", "", 23.9405, 115.7805, 0, 5,
         "uuid:o3", "uuid:o3"],
    ])
    write_csv("odk_central.csv", [
        ["SubmissionDate", "grp-village", "grp-q1", "grp-q3", "meta-instanceID", "KEY",
         "SubmitterID", "SubmitterName", "AttachmentsPresent", "AttachmentsExpected", "Status",
         "ReviewState", "DeviceID", "Edits", "FormVersion"],
        ["2025-11-03T02:21:33.123Z", "大岭村", "知道", "支持", "uuid:c1", "uuid:c1", 7, "张三",
         0, 0, "", "approved", "collect:x1", 0, "2025110301"],
        ["2025-11-03T03:00:00.000Z", "罗湖村", "听说过", "比较支持", "uuid:c2", "uuid:c2", 7,
         "张三", 0, 0, "", "", "collect:x1", 0, "2025110301"],
        ["2025-11-04T01:00:00.000Z", "公园社区", "不知道", "不支持", "uuid:c3", "uuid:c3", 8,
         "李四", 0, 0, "", "rejected", "collect:x2", 0, "2025110301"],
        ["2025-11-04T02:00:00.000Z", "大岭村", "不知道", "支持", "uuid:c4", "uuid:c4", 8, "李四",
         0, 0, "", "hasIssues", "collect:x2", 1, "2025110301"],
    ])


def plain() -> None:
    write_csv("plain.csv", [
        ["response_id", "村（社区）", "日期", "性别", "年龄", "权重", "q1", "q2"],
        ["r1", "大岭村", "2025-11-03", "男", 34, 1.5, "知道", "满意"],
        ["r2", "罗湖村", "2025-11-03", "女", 70, 0.5, "不知道", "不满意"],
        ["r3", "大岭村", "2025-11-04", "女", "", "abc", "听说过", "满意"],
    ], encoding="gb18030")


def town() -> None:
    header = WJX_META + [
        "1、您所在的村（社区）：",
        "2、您的性别：",
        "3、您的年龄段：",
        "4、您是否知道《中华人民共和国民法典》？",
        "5、您是否知道每年12月4日是国家宪法日？",
        "6、您是否了解《反电信网络诈骗法》？",
        "7、您是否听说过本村的法律顾问？",
        "8、您是否支持本村开展法治宣传活动？",
        "9、您对本镇普法工作是否满意？",
        "10、接到自称公检法要求转账的电话，应该怎么做？",
        "11、您的联系电话（选填）：",
        "总分",
    ]
    ip = "113.96.1.{}(广东-梅州)"
    rows = [
        header,
        [1, "2025/11/03 10:21:33", "125秒", "微信", "N/A", ip.format(23), "大岭村", "男",
         "18-29岁", "知道", "知道", "了解", "听说过", "支持", "满意", "挂断并报警",
         "13800138000", 0],
        [2, "2025/11/03 10:40:02", "98秒", "微信", "N/A", ip.format(24), "罗湖村", "女",
         "60岁及以上", "听说过", "不知道", "不了解", "没听说过", "比较支持", "不清楚",
         "不知道", None, 0],
        [3, "2025/11/03 11:02:09", "143秒", "链接", "N/A", ip.format(25), "公园社区", "女",
         "45-59岁", "不知道", "知道", "比较了解", "听说过", "不太支持", "比较满意",
         "按要求转账", "13912345678", 0],
    ]
    write_xlsx("town_wjx.xlsx", rows)
    write_xlsx("town_codebook.xlsx", [
        ["题号", "题目", "类别", "肯定答案", "无效答案", "正确答案"],
        ["4", "您是否知道《中华人民共和国民法典》？", "知晓", "知道、听说过", "不清楚", None],
        ["5", "您是否知道每年12月4日是国家宪法日？", "知晓", "知道", None, None],
        ["6", "您是否了解《反电信网络诈骗法》？", "知晓", "了解、比较了解", None, None],
        ["7", "您是否听说过本村的法律顾问？", "知晓", "听说过", None, None],
        ["8", "您是否支持本村开展法治宣传活动？", "支持", "支持、比较支持", None, None],
        ["9", "您对本镇普法工作是否满意？", "满意", "满意、比较满意", "不清楚", None],
        ["10", "接到自称公检法要求转账的电话，应该怎么做？", "知识", None, None, "挂断并报警"],
    ], sheet="编码表")


if __name__ == "__main__":
    villages()
    wjx_text()
    wjx_number()
    kobo()
    kobo_labels()
    odk()
    plain()
    town()
    print(f"wrote fixtures to {HERE}")
