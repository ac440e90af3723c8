"""Generic dialogue lines of the synthetic support desk: openers, closers, agent, bot and system turns."""

from __future__ import annotations

BRAND = "Bondline Industrial"

CUSTOMER_OPENERS = (
    "",
    "",
    "",
    "Hi,",
    "Hello,",
    "Hi there,",
    "Good morning,",
    "Morning.",
    "Yeah hi,",
    "Hey,",
    "Hi, this is {first}.",
    "Hi, {first} here.",
    "Hello, quick question.",
    "Afternoon,",
    "Hi again,",
)
CLOSERS = {
    "positive": (
        "Thanks!",
        "Perfect, thanks.",
        "Great, appreciate it.",
        "Awesome, thank you.",
        "That works, thanks.",
        "You guys are the best.",
        "Super helpful, thanks.",
        "Cool, that's all I needed.",
        "Thank you so much.",
    ),
    "neutral": ("Ok.", "Alright.", "Got it.", "Ok, I'll wait for the email.", "Fine.", "Sure.", "Noted."),
    "negative": (
        "Fine, but I expect a call back today.",
        "This is not acceptable.",
        "Whatever, just get it sorted.",
        "I'll believe it when I see it.",
        "Not happy about this at all.",
        "Just fix it please.",
        "I've heard that before.",
        "Ok, but this keeps happening.",
    ),
}
CUSTOMER_ACKS = (
    "Yes, that's right.",
    "Yeah.",
    "Correct.",
    "No, the other one.",
    "Yes please.",
    "Sure, go ahead.",
    "Let me check... ok, yes.",
    "Hang on a sec.",
    "Yep, that's the one.",
    "Hmm, I think so.",
)
CONTACT_SHARES = (
    "You can reach me at 312-555-01{n2}.",
    "My email is {first}.{surname}@{domain}.",
    "Call me back on (617) 555-01{n2}.",
    "Send it to {first}@{domain} please.",
)

AGENT_GREETINGS = (
    "Thanks for contacting " + BRAND + ", this is {agent}. How can I help?",
    "Hi, you're through to customer service. What can I do for you?",
    "Good morning, " + BRAND + " support, {agent} speaking.",
    "Hello! How can I help you today?",
    "Thanks for reaching out. What can I help with?",
)
AGENT_MIDDLES = (
    "Let me check that for you.",
    "One moment while I pull up your account.",
    "Could you confirm the order or PO number?",
    "I see it here.",
    "I've updated that for you.",
    "I'll send that over by email.",
    "Thanks for waiting.",
    "Let me look into that.",
    "Can you tell me a bit more?",
    "I've noted that on the account.",
    "Understood.",
    "I'm sorry about the trouble.",
    "I can help with that.",
    "Give me a minute to check with the team.",
)
AGENT_ESCALATIONS = (
    "I've escalated this to a supervisor.",
    "I've opened a case with our technical team.",
    "I'm transferring you to a technical specialist.",
    "A manager will call you back today.",
)
AGENT_CLOSERS = (
    "Is there anything else I can help with?",
    "Thanks for your business, have a great day.",
    "You're all set.",
    "Thanks for your patience.",
    "Have a good one.",
)
BOT_GREETINGS = (
    "Hi! I'm Sticky, the virtual assistant. What can I help you with today?",
    "Welcome to " + BRAND + ". Ask me anything or type 'agent'.",
)
SYSTEM_TRANSFERS = ("Chat transferred to a live agent.", "An agent has joined the chat.")
EMAIL_GREETINGS = ("Hi team,", "Hello,", "Good morning,", "To whom it may concern,", "Hi support,")
EMAIL_SIGNOFFS = ("Thanks,", "Regards,", "Best,", "Thank you,", "Cheers,")
