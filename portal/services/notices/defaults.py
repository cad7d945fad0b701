"""Default notice templates (雛形) shipped with the portal, in Japanese and English.

Jinja2 syntax, rendered in a sandbox. Placeholders: ``patron`` (name, number),
``record`` (ill_id, title, article, author, kind, due, received, sent, total,
currency), ``library`` (name, address, email, phone), ``partner`` (name, code:
the other library of a PARTNER_* notice), ``level`` (the overdue notice number),
``days_overdue``; for BLOCK_APPLIED / BLOCK_LIFTED ``block`` (code, description,
note, starts, until: the first day it no longer applies, empty when open-ended,
lift_reason). A printed letter uses the e-mail template. SMS templates are
short; the portal adds the sender's name and the opt-out link to every SMS.
"""
from __future__ import annotations

E, S = "email", "sms"

_TITLE_JA = "「{{ record.title }}」"
_TITLE_EN = "\"{{ record.title }}\""
_SIGN_JA = "\n\n{{ library.name }}\n{{ library.address }}\n{{ library.email }} {{ library.phone }}"
_SIGN_EN = _SIGN_JA

DEFAULTS: dict[tuple[str, str, str], tuple[str, str]] = {
    # ARRIVED
    ("ARRIVED", E, "ja"): ("【{{ library.name }}】ILL資料が到着しました（{{ record.ill_id }}）",
                           "{{ patron.name }} 様\n\nお申し込みの" + _TITLE_JA + "が到着しました。"
                           "{% if record.kind == 'loan' %}カウンターでお受け取りください。{% else %}複写物をカウンターでお受け取りください。{% endif %}"
                           "\nILL番号: {{ record.ill_id }}" + _SIGN_JA),
    ("ARRIVED", E, "en"): ("[{{ library.name }}] Your interlibrary loan has arrived ({{ record.ill_id }})",
                           "Dear {{ patron.name }},\n\n" + _TITLE_EN + " has arrived and is ready for pickup at the "
                           "counter.\nILL ID: {{ record.ill_id }}" + _SIGN_EN),
    ("ARRIVED", S, "ja"): ("", "{{ patron.name }}様 ILL資料" + _TITLE_JA + "が到着しました。カウンターでお受け取りください。"),
    ("ARRIVED", S, "en"): ("", "{{ patron.name }}: your ILL item " + _TITLE_EN + " is ready for pickup."),
    # PICKUP_REMINDER
    ("PICKUP_REMINDER", E, "ja"): ("【{{ library.name }}】ILL資料のお受け取りのお願い（{{ record.ill_id }}）",
                                   "{{ patron.name }} 様\n\n{{ record.received }}に到着した" + _TITLE_JA
                                   + "がまだお受け取りいただけていません。カウンターでお受け取りください。" + _SIGN_JA),
    ("PICKUP_REMINDER", E, "en"): ("[{{ library.name }}] Reminder: your ILL item is waiting ({{ record.ill_id }})",
                                   "Dear {{ patron.name }},\n\n" + _TITLE_EN + " arrived on {{ record.received }} and is "
                                   "still waiting for you at the counter." + _SIGN_EN),
    ("PICKUP_REMINDER", S, "ja"): ("", "{{ patron.name }}様 ILL資料" + _TITLE_JA + "をカウンターでお受け取りください。"),
    ("PICKUP_REMINDER", S, "en"): ("", "{{ patron.name }}: " + _TITLE_EN + " is still waiting for you at the counter."),
    # DUE_SOON
    ("DUE_SOON", E, "ja"): ("【{{ library.name }}】ILL資料の返却期限が近づいています（{{ record.due }}）",
                            "{{ patron.name }} 様\n\n" + _TITLE_JA + "の返却期限は{{ record.due }}です。"
                            "期限までにご返却ください。" + _SIGN_JA),
    ("DUE_SOON", E, "en"): ("[{{ library.name }}] Your interlibrary loan is due on {{ record.due }}",
                            "Dear {{ patron.name }},\n\n" + _TITLE_EN + " is due back on {{ record.due }}." + _SIGN_EN),
    ("DUE_SOON", S, "ja"): ("", "{{ patron.name }}様 ILL資料" + _TITLE_JA + "の返却期限は{{ record.due }}です。"),
    ("DUE_SOON", S, "en"): ("", "{{ patron.name }}: ILL item " + _TITLE_EN + " is due on {{ record.due }}."),
    # OVERDUE
    ("OVERDUE", E, "ja"): ("【{{ library.name }}】ILL資料の返却期限を過ぎています（第{{ level }}回）",
                           "{{ patron.name }} 様\n\n" + _TITLE_JA + "の返却期限（{{ record.due }}）を{{ days_overdue }}日"
                           "過ぎています。至急ご返却ください。この資料は他の図書館からお借りしています。" + _SIGN_JA),
    ("OVERDUE", E, "en"): ("[{{ library.name }}] Overdue interlibrary loan (notice {{ level }})",
                           "Dear {{ patron.name }},\n\n" + _TITLE_EN + " was due on {{ record.due }} and is "
                           "{{ days_overdue }} day(s) overdue. Please return it at once: it is on loan from "
                           "another library." + _SIGN_EN),
    ("OVERDUE", S, "ja"): ("", "{{ patron.name }}様 ILL資料" + _TITLE_JA + "の返却期限（{{ record.due }}）を過ぎています。至急ご返却ください。"),
    ("OVERDUE", S, "en"): ("", "{{ patron.name }}: ILL item " + _TITLE_EN + " was due on {{ record.due }}. Please return it now."),
    # DUE_DATE_CHANGED
    ("DUE_DATE_CHANGED", E, "ja"): ("【{{ library.name }}】ILL資料の返却期限が変更されました（{{ record.due }}）",
                                    "{{ patron.name }} 様\n\n" + _TITLE_JA + "の返却期限が{{ record.due }}に変更されました。" + _SIGN_JA),
    ("DUE_DATE_CHANGED", E, "en"): ("[{{ library.name }}] New due date for your interlibrary loan: {{ record.due }}",
                                    "Dear {{ patron.name }},\n\n" + _TITLE_EN + " is now due on {{ record.due }}." + _SIGN_EN),
    ("DUE_DATE_CHANGED", S, "ja"): ("", "{{ patron.name }}様 ILL資料" + _TITLE_JA + "の返却期限が{{ record.due }}に変更されました。"),
    ("DUE_DATE_CHANGED", S, "en"): ("", "{{ patron.name }}: ILL item " + _TITLE_EN + " is now due on {{ record.due }}."),
    # RENEWAL_REFUSED
    ("RENEWAL_REFUSED", E, "ja"): ("【{{ library.name }}】ILL資料の貸出更新ができませんでした",
                                   "{{ patron.name }} 様\n\n" + _TITLE_JA + "の貸出更新は所蔵館により認められませんでした。"
                                   "返却期限（{{ record.due }}）までにご返却ください。" + _SIGN_JA),
    ("RENEWAL_REFUSED", E, "en"): ("[{{ library.name }}] Your renewal request was refused",
                                   "Dear {{ patron.name }},\n\nThe lending library could not renew " + _TITLE_EN
                                   + ". Please return it by {{ record.due }}." + _SIGN_EN),
    ("RENEWAL_REFUSED", S, "ja"): ("", "{{ patron.name }}様 " + _TITLE_JA + "の貸出更新はできませんでした。{{ record.due }}までにご返却ください。"),
    ("RENEWAL_REFUSED", S, "en"): ("", "{{ patron.name }}: renewal of " + _TITLE_EN + " refused. Please return it by {{ record.due }}."),
    # CANCELLED
    ("CANCELLED", E, "ja"): ("【{{ library.name }}】ILLのお申し込みを取り消しました（{{ record.ill_id }}）",
                             "{{ patron.name }} 様\n\nお申し込みの" + _TITLE_JA + "は、依頼先の図書館から提供を受けられなかったか、"
                             "お申し込みが取り消されたため、お取り寄せできませんでした。詳しくはカウンターにお問い合わせください。" + _SIGN_JA),
    ("CANCELLED", E, "en"): ("[{{ library.name }}] Your interlibrary loan request was cancelled ({{ record.ill_id }})",
                             "Dear {{ patron.name }},\n\nWe could not obtain " + _TITLE_EN + ": the request was declined "
                             "by the libraries asked, or cancelled. Please ask at the counter." + _SIGN_EN),
    ("CANCELLED", S, "ja"): ("", "{{ patron.name }}様 ILLのお申し込み" + _TITLE_JA + "はお取り寄せできませんでした。"),
    ("CANCELLED", S, "en"): ("", "{{ patron.name }}: we could not obtain " + _TITLE_EN + " for you."),
    # FEE_DUE
    ("FEE_DUE", E, "ja"): ("【{{ library.name }}】ILL料金のお知らせ（{{ record.total }} {{ record.currency }}）",
                           "{{ patron.name }} 様\n\n" + _TITLE_JA + "の料金は{{ record.total }} {{ record.currency }}です"
                           "（私費）。資料のお受け取りの際にお支払いください。" + _SIGN_JA),
    ("FEE_DUE", E, "en"): ("[{{ library.name }}] Fee for your interlibrary loan: {{ record.total }} {{ record.currency }}",
                           "Dear {{ patron.name }},\n\nThe fee for " + _TITLE_EN + " is {{ record.total }} "
                           "{{ record.currency }}, payable when you collect it." + _SIGN_EN),
    ("FEE_DUE", S, "ja"): ("", "{{ patron.name }}様 ILL料金は{{ record.total }} {{ record.currency }}です。受取時にお支払いください。"),
    ("FEE_DUE", S, "en"): ("", "{{ patron.name }}: ILL fee {{ record.total }} {{ record.currency }}, payable at pickup."),
    # ACTIVITY
    ("ACTIVITY", E, "ja"): ("【{{ library.name }}】ILLご利用状況", "{{ patron.name }} 様\n\nILLのご利用状況をお知らせします。" + _SIGN_JA),
    ("ACTIVITY", E, "en"): ("[{{ library.name }}] Your interlibrary loans", "Dear {{ patron.name }},\n\nYour open requests and loans." + _SIGN_EN),
    ("ACTIVITY", S, "ja"): ("", "{{ patron.name }}様 ILLのご利用状況をメールでお送りしました。"),
    ("ACTIVITY", S, "en"): ("", "{{ patron.name }}: we e-mailed you your interlibrary loans."),
    # BLOCK_APPLIED / BLOCK_LIFTED (optional)
    ("BLOCK_APPLIED", E, "ja"): ("【{{ library.name }}】ILLのご利用を停止しました",
                                 "{{ patron.name }} 様\n\n次の理由により、ILL（文献複写・相互貸借）のご利用を停止しました。\n"
                                 "理由: {{ block.description }}{% if block.note %}（{{ block.note }}）{% endif %}\n"
                                 "期間: {{ block.starts }} から{% if block.until %} {{ block.until }} まで{% else %}解除まで{% endif %}\n"
                                 "詳しくはカウンターにお問い合わせください。" + _SIGN_JA),
    ("BLOCK_APPLIED", E, "en"): ("[{{ library.name }}] Your interlibrary loan service is suspended",
                                 "Dear {{ patron.name }},\n\nYour use of interlibrary loan is suspended.\n"
                                 "Reason: {{ block.description }}{% if block.note %} ({{ block.note }}){% endif %}\n"
                                 "From {{ block.starts }}{% if block.until %} until {{ block.until }}{% else %} until further notice{% endif %}.\n"
                                 "Please ask at the counter." + _SIGN_EN),
    ("BLOCK_APPLIED", S, "ja"): ("", "{{ patron.name }}様 ILLのご利用を停止しました（{{ block.description }}"
                                     "{% if block.until %}、{{ block.until }}まで{% endif %}）。"),
    ("BLOCK_APPLIED", S, "en"): ("", "{{ patron.name }}: your ILL service is suspended ({{ block.description }}"
                                     "{% if block.until %}, until {{ block.until }}{% endif %})."),
    ("BLOCK_LIFTED", E, "ja"): ("【{{ library.name }}】ILLのご利用停止を解除しました",
                                "{{ patron.name }} 様\n\nILLのご利用停止（{{ block.description }}）を解除しました。"
                                "再びお申し込みいただけます。" + _SIGN_JA),
    ("BLOCK_LIFTED", E, "en"): ("[{{ library.name }}] Your interlibrary loan service is open again",
                                "Dear {{ patron.name }},\n\nThe suspension of your interlibrary loan service "
                                "({{ block.description }}) has ended. You may place requests again." + _SIGN_EN),
    ("BLOCK_LIFTED", S, "ja"): ("", "{{ patron.name }}様 ILLのご利用停止（{{ block.description }}）を解除しました。"),
    ("BLOCK_LIFTED", S, "en"): ("", "{{ patron.name }}: your ILL service is open again ({{ block.description }} ended)."),
    # STAFF_DIGEST (optional, daily, to the library's own contact address)
    ("STAFF_DIGEST", E, "ja"): ("【ILL】{{ library.name }} 本日の状況（{{ digest.date }}）",
                                "{{ library.name }} ご担当者様\n\n{{ digest.date }} のILLの状況です。\n"
                                "{% for s in digest.sections %}\n■ {{ s.title_ja }}: {{ s.count }} 件\n"
                                "{% for r in s.records %}  {{ r.ill_id }} {{ r.partner }} {{ r.title }}{% if r.due %}（期限 {{ r.due }}）{% endif %}\n{% endfor %}"
                                "{% if s.count > s.records|length %}  ほか {{ s.count - s.records|length }} 件\n{% endif %}{% endfor %}"),
    ("STAFF_DIGEST", E, "en"): ("[ILL] {{ library.name }}: today's digest ({{ digest.date }})",
                                "To the ILL staff of {{ library.name }},\n\nInterlibrary loan on {{ digest.date }}.\n"
                                "{% for s in digest.sections %}\n* {{ s.title_en }}: {{ s.count }}\n"
                                "{% for r in s.records %}  {{ r.ill_id }} {{ r.partner }} {{ r.title }}{% if r.due %} (due {{ r.due }}){% endif %}\n{% endfor %}"
                                "{% if s.count > s.records|length %}  and {{ s.count - s.records|length }} more\n{% endif %}{% endfor %}"),
    # SEND_REPORT (optional: a manual notice's outcome, to up to five staff addresses)
    ("SEND_REPORT", E, "ja"): ("【ILL】送信結果: {{ report.outcome }}（{{ report.channel }} {{ report.recipient }}）",
                               "{{ library.name }} ご担当者様\n\n手動通知の送信結果です。\n"
                               "通知番号: {{ report.id }}\n結果: {{ report.outcome }}\n"
                               "{% if report.detail %}詳細: {{ report.detail }}\n{% endif %}"
                               "日時: {{ report.at }}\n経路: {{ report.channel }}\n宛先: {{ report.recipient }}\n"
                               "{% if patron.number %}利用者: {{ patron.number }} {{ patron.name }}\n{% endif %}"
                               "件名: {{ report.subject }}\n\n通知履歴: {{ report.url }}"),
    ("SEND_REPORT", E, "en"): ("[ILL] Send report: {{ report.outcome }} ({{ report.channel }} {{ report.recipient }})",
                               "To the ILL staff of {{ library.name }},\n\nThe outcome of a manual notice.\n"
                               "Notice: {{ report.id }}\nOutcome: {{ report.outcome }}\n"
                               "{% if report.detail %}Detail: {{ report.detail }}\n{% endif %}"
                               "When: {{ report.at }}\nChannel: {{ report.channel }}\nTo: {{ report.recipient }}\n"
                               "{% if patron.number %}Patron: {{ patron.number }} {{ patron.name }}\n{% endif %}"
                               "Subject: {{ report.subject }}\n\nNotice history: {{ report.url }}"),
    # partner libraries
    ("PARTNER_NEW_REQUEST", E, "ja"): ("【ILL】新しい依頼があります（{{ record.ill_id }}）",
                                       "{{ library.name }} ご担当者様\n\n{{ partner.name }}（{{ partner.code }}）から新しいILL依頼が届きました。\n"
                                       "ILL番号: {{ record.ill_id }}\n種別: {{ record.kind }}\n書誌: {{ record.title }}"),
    ("PARTNER_NEW_REQUEST", E, "en"): ("[ILL] New request {{ record.ill_id }}",
                                       "To the ILL staff of {{ library.name }},\n\n{{ partner.name }} ({{ partner.code }}) sent a new "
                                       "request.\nILL ID: {{ record.ill_id }}\nKind: {{ record.kind }}\nTitle: {{ record.title }}"),
    ("PARTNER_OVERDUE", E, "ja"): ("【ILL】貸借資料の返却期限を過ぎています（{{ record.ill_id }}）",
                                   "{{ partner.name }} ご担当者様\n\n{{ library.name }}からお貸ししている資料の返却期限"
                                   "（{{ record.due }}）を{{ days_overdue }}日過ぎています。ご返送をお願いします。\n"
                                   "ILL番号: {{ record.ill_id }}\n書誌: {{ record.title }}"),
    ("PARTNER_OVERDUE", E, "en"): ("[ILL] Overdue loan {{ record.ill_id }}",
                                   "To the ILL staff of {{ partner.name }},\n\nThe loan from {{ library.name }} was due back on "
                                   "{{ record.due }} and is {{ days_overdue }} day(s) overdue. Please send it back.\n"
                                   "ILL ID: {{ record.ill_id }}\nTitle: {{ record.title }}"),
}

#: Added to every SMS: the sender's name and how to stop SMS (特定電子メール法; replies are not possible).
SMS_FOOTER = {
    "ja": "\n{{ library.name }}\n配信停止: {{ opt_out_url }}",
    "en": "\n{{ library.name }}\nStop SMS: {{ opt_out_url }}",
}


def default_template(notice_type: str, channel: str, language: str) -> tuple[str, str] | None:
    channel = "email" if channel == "print" else channel
    return DEFAULTS.get((notice_type, channel, language)) or DEFAULTS.get((notice_type, channel, "ja"))
