from accord.feedback.tests.helpers import refusing_smtp_server, smtp_server

__all__ = ["refusing_smtp_server", "smtp_server"]
