"""The customer's pages. Opening a link changes nothing (mail scanners open links too)."""

from django.views.generic import TemplateView

from .selectors import invite_link_find


class InviteView(TemplateView):
    """The invite a link opens; one neutral page for every link that does not work."""

    template_name = "invitations/invite.html"

    def get(self, request, *args, token: str, **kwargs):
        link = invite_link_find(token)
        if link is None:
            return self.response_class(request, "invitations/link_not_working.html", status=404)
        return self.render_to_response(self.get_context_data(link=link, appointment=link.appointment))
