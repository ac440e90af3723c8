"""Zendesk `via.channel` values: which become chat, call, email or other, and which are a bot speaking."""

from __future__ import annotations

import re

_CHAT = {
    "chat",
    "native_messaging",
    "messaging",
    "sunshine_conversations",
    "whatsapp",
    "sms",
    "line",
    "wechat",
    "chat_transcript",
    "instagram_dm",
    "facebook_messenger",
}
_CALL = {"voice", "phone", "phone_call_inbound", "phone_call_outbound", "voicemail", "call"}
_EMAIL = {"email", "mail"}
BOT_CHANNELS = {
    "answer_bot",
    "answer_bot_for_agents",
    "answer_bot_for_sdk",
    "answer_bot_for_slack",
    "ai_agent",
    "answer_bot_api",
    "answer_bot_for_web_widget",
}


def norm_channel(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", value.strip().lower()).strip("_")


def map_channel(via_channel: str | None) -> str:
    if not via_channel:
        return "other"
    c = norm_channel(via_channel)
    if c in _CHAT or "chat" in c or "messag" in c:
        return "chat"
    if c in _CALL or "voice" in c or "phone" in c or "call" in c:
        return "call"
    if c in _EMAIL or "email" in c:
        return "email"
    return "other"
