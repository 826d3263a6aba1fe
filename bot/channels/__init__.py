"""Ways volunteers reach the assistant besides REST: Telegram and the website's chat bubble."""
