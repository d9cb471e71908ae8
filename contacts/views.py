from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import selectors as account_selectors
from contacts import importing, selectors, services
from contacts.formats import csvfile, sniff
from contacts.forms import (
    LIST_ROWS,
    BookForm,
    ContactForm,
    GroupForm,
    ImportOptionsForm,
    ImportUploadForm,
)
from contacts.models import AddressBook, Contact, ContactGroup
from uc_web.lib import media, publicid
from uc_web.lib.exceptions import ApplicationError
from uc_web.lib.signed_in import AuthedRequest

PAGE_SIZE = 50
BOOK = publicid.kind_of(AddressBook)
CONTACT = publicid.kind_of(Contact)
GROUP = publicid.kind_of(ContactGroup)


def _book_url(book: AddressBook, group: ContactGroup | None = None) -> str:
    query = {"book": publicid.of(book)}
    if group is not None:
        query["group"] = publicid.of(group)
    return f"{reverse('contacts:index')}?{urlencode(query)}"


def _sidebar(request: AuthedRequest) -> dict:
    services.book_ensure_default(user=request.user)
    return {
        "books": list(selectors.book_list(user=request.user)),
        "trash_count": selectors.contact_list(user=request.user, deleted=True).count(),
        "book_form": BookForm(),
    }


@require_GET
@login_required
def index(request: AuthedRequest) -> HttpResponse:
    """The address books, the contacts of the chosen one, and search as you type."""
    context = _sidebar(request)
    books = context["books"]
    book = books[0]
    if request.GET.get("book"):
        book_id = publicid.decode_or_none(BOOK, request.GET["book"])
        book = next((b for b in books if b.pk == book_id), None)
    if book is None:
        raise Http404
    groups = list(selectors.group_list(user=request.user, book=book))
    group = None
    if request.GET.get("group"):
        group_id = publicid.decode_or_none(GROUP, request.GET["group"])
        group = next((g for g in groups if g.pk == group_id), None)
        if group is None:
            raise Http404
    query = request.GET.get("q", "").strip()
    if query:
        contacts = selectors.contact_search(user=request.user, query=query, limit=PAGE_SIZE)
        page = None
        found = selectors.directory_search(user=request.user, query=query)
        colleagues = [u for u in found if u.company_id == request.user.company_id]
        outsiders = [u for u in found if u.company_id != request.user.company_id]
    else:
        listed = selectors.contact_list(user=request.user, book=book)
        if group is not None:
            listed = listed.filter(groups=group)
        paginator = Paginator(listed, PAGE_SIZE)
        page = paginator.get_page(request.GET.get("page"))
        contacts = list(page.object_list)
        colleagues, outsiders = [], []
    undo = None
    deleted = publicid.decode_or_none(CONTACT, request.GET.get("deleted"))
    if deleted is not None:
        undo = selectors.contact_get(user=request.user, pk=deleted, deleted=True)
    context.update(
        {
            "book": book,
            "groups": groups,
            "group": group,
            "group_form": GroupForm(),
            "contacts": contacts,
            "page": page,
            "query": query,
            "colleagues": colleagues,
            "outsiders": outsiders,
            "undo": undo,
        }
    )
    return render(request, "contacts/index.html", context)


@require_GET
@login_required
def directory(request: AuthedRequest) -> HttpResponse:
    """The company directory: a read-only book of every active colleague."""
    context = _sidebar(request)
    context["colleagues"] = selectors.directory_list(user=request.user)
    return render(request, "contacts/directory.html", context)


@require_GET
@login_required
def trash(request: AuthedRequest) -> HttpResponse:
    """Deleted contacts, which can be restored for 30 days."""
    context = _sidebar(request)
    context["contacts"] = selectors.contact_list(user=request.user, deleted=True).order_by(
        "-deleted_at"
    )
    context["trash_days"] = services.TRASH_DAYS
    return render(request, "contacts/trash.html", context)


# --- Books -------------------------------------------------------------------------------
@require_POST
@login_required
def book_create(request: AuthedRequest) -> HttpResponse:
    form = BookForm(request.POST)
    if form.is_valid():
        try:
            book = services.book_create(owner=request.user, name=form.cleaned_data["name"])
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Address book “%(name)s” added.") % {"name": book.name})
            return redirect(_book_url(book))
    else:
        messages.error(request, _("Give the address book a name."))
    return redirect("contacts:index")


@require_http_methods(["GET", "POST"])
@login_required
def book_rename(request: AuthedRequest, pk: int) -> HttpResponse:
    book = get_object_or_404(selectors.book_list(user=request.user), pk=pk)
    form = BookForm(request.POST or None, initial={"name": book.name})
    if request.method == "POST" and form.is_valid():
        try:
            services.book_rename(book=book, name=form.cleaned_data["name"], by=request.user)
        except ApplicationError as error:
            form.add_error("name", error.message)
        else:
            return redirect(_book_url(book))
    return render(request, "contacts/book_rename.html", {"book": book, "form": form})


@require_http_methods(["GET", "POST"])
@login_required
def book_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    book = get_object_or_404(selectors.book_list(user=request.user), pk=pk)
    if request.method == "POST":
        try:
            count = services.book_delete(book=book, by=request.user)
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("contacts:index")
        messages.success(
            request,
            _("Address book “%(name)s” and its %(count)s contacts were removed.")
            % {"name": book.name, "count": count},
        )
        return redirect("contacts:index")
    return render(request, "contacts/book_delete.html", {"book": book})


@require_GET
@login_required
def book_export(request: AuthedRequest, pk: int) -> HttpResponse:
    book = get_object_or_404(selectors.book_list(user=request.user), pk=pk)
    try:
        content, content_type, filename = importing.book_export(
            user=request.user, book=book, fmt=request.GET.get("fmt", "vcard3")
        )
    except ApplicationError as error:
        return HttpResponse(error.message, status=400, content_type="text/plain; charset=utf-8")
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- Groups ------------------------------------------------------------------------------
@require_POST
@login_required
def group_create(request: AuthedRequest, pk: int) -> HttpResponse:
    book = get_object_or_404(selectors.book_list(user=request.user), pk=pk)
    form = GroupForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the group a name."))
        return redirect(_book_url(book))
    try:
        group = services.group_create(by=request.user, book=book, name=form.cleaned_data["name"])
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect(_book_url(book))
    messages.success(request, _("Group “%(name)s” added.") % {"name": group.name})
    return redirect(_book_url(book, group))


@require_http_methods(["GET", "POST"])
@login_required
def group_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    """Rename a group, or remove it (its members stay in the book)."""
    group = selectors.group_get(user=request.user, pk=pk)
    if group is None:
        raise Http404
    form = GroupForm(request.POST or None, initial={"name": group.name})
    if request.method == "POST" and request.POST.get("action") == "delete":
        services.group_delete(group=group, by=request.user)
        messages.success(request, _("Group “%(name)s” removed.") % {"name": group.name})
        return redirect(_book_url(group.book))
    if request.method == "POST" and form.is_valid():
        try:
            services.group_rename(group=group, by=request.user, name=form.cleaned_data["name"])
        except ApplicationError as error:
            form.add_error("name", error.message)
        else:
            return redirect(_book_url(group.book, group))
    return render(request, "contacts/group_edit.html", {"group": group, "form": form})


# --- Contacts ----------------------------------------------------------------------------
def _contact_form(request: AuthedRequest, **kwargs: Any) -> ContactForm:
    return ContactForm(
        request.POST or None,
        request.FILES or None,
        books=selectors.book_list(user=request.user),
        linkable=selectors.linkable_users(user=request.user),
        **kwargs,
    )


def _is_valid(request: AuthedRequest, form: ContactForm) -> bool:
    """form.is_valid(), saying "too large" for a photo the upload limit stopped receiving."""
    valid = form.is_valid()
    if media.too_large(request, "photo"):
        form.add_error("photo", media.too_large_message())
        valid = False
    return valid


@require_http_methods(["GET", "POST"])
@login_required
@media.limit_uploads
def contact_create(request: AuthedRequest) -> HttpResponse:
    default = services.book_ensure_default(user=request.user)
    initial_book = request.GET.get("book", default.pk)
    form = _contact_form(request, initial={"book": initial_book})
    if request.method == "POST" and _is_valid(request, form):
        try:
            contact = services.contact_create(
                by=request.user,
                book=form.cleaned_data["book"],
                data=form.to_input(),
                photo=form.cleaned_data.get("photo"),
            )
        except media.ImageRejected as error:
            form.add_error("photo", error.message)
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Contact “%(name)s” added.") % {"name": contact})
            return redirect("contacts:detail", pk=contact.pk)
    return render(request, "contacts/contact_form.html", {"form": form, "contact": None})


@require_GET
@login_required
def contact_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    contact = selectors.contact_get(user=request.user, pk=pk)
    if contact is None:
        raise Http404
    entry = None
    if contact.linked_user_id:
        entry = account_selectors.monitor_entry(user=request.user, person_id=contact.linked_user_id)
    return render(
        request, "contacts/contact_detail.html", {"contact": contact, "monitor_entry": entry}
    )


@require_http_methods(["GET", "POST"])
@login_required
@media.limit_uploads
def contact_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    contact = selectors.contact_get(user=request.user, pk=pk)
    if contact is None:
        raise Http404
    form = _contact_form(
        request,
        initial=ContactForm.initial_for(contact),
        phone_rows=max(3, len(contact.phones.all()) + 1),
        email_rows=max(2, len(contact.emails.all()) + 1),
        list_rows={name: len(getattr(contact, name) or []) + 1 for name in LIST_ROWS},
    )
    if request.method == "POST" and _is_valid(request, form):
        data = form.to_input()
        # The form edits the first address (keeping its type); the others are kept as they are.
        existing = list(contact.addresses.all())
        if existing and data.addresses:
            data.addresses[0]["kind"] = existing[0].kind
        data.addresses += [
            {
                f: getattr(a, f)
                for f in ("kind", "label", "street", "city", "region", "postal_code", "country")
            }
            for a in existing[1:]
        ]
        if existing and data.addresses:
            data.addresses[0].setdefault("label", existing[0].label)
        try:
            services.contact_update(
                contact=contact,
                by=request.user,
                data=data,
                book=form.cleaned_data["book"],
                photo=form.cleaned_data.get("photo"),
                remove_photo=form.cleaned_data["remove_photo"],
            )
        except media.ImageRejected as error:
            form.add_error("photo", error.message)
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Contact saved."))
            return redirect("contacts:detail", pk=contact.pk)
    return render(request, "contacts/contact_form.html", {"form": form, "contact": contact})


@require_http_methods(["GET", "POST"])
@login_required
def contact_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(selectors.contact_list(user=request.user), pk=pk)
    if request.method == "POST":
        services.contact_delete(contact=contact, by=request.user)
        query = urlencode(
            {"book": publicid.encode(BOOK, contact.book_id), "deleted": publicid.of(contact)}
        )
        return redirect(f"{reverse('contacts:index')}?{query}")
    return render(request, "contacts/contact_delete.html", {"contact": contact})


@require_POST
@login_required
def contact_restore(request: AuthedRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(selectors.contact_list(user=request.user, deleted=True), pk=pk)
    services.contact_restore(contact=contact, by=request.user)
    messages.success(request, _("“%(name)s” is back.") % {"name": contact})
    return redirect("contacts:detail", pk=contact.pk)


@require_POST
@login_required
def contact_purge(request: AuthedRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(selectors.contact_list(user=request.user, deleted=True), pk=pk)
    services.contact_purge(contact=contact, by=request.user)
    messages.success(request, _("“%(name)s” was deleted for good.") % {"name": contact})
    return redirect("contacts:trash")


@require_GET
@login_required
def contact_photo(request: AuthedRequest, pk: int) -> FileResponse:
    """A contact's photo (?size=small for 64 px), only for its owner; uploads are never
    served directly."""
    contact = get_object_or_404(selectors.contact_list(user=request.user), pk=pk)
    size = request.GET.get("size", "large")
    if size not in media.SIZES:
        raise Http404
    name = (contact.photo_small if size == "small" else "") or contact.photo
    if not name or not default_storage.exists(name):
        raise Http404
    response = FileResponse(
        default_storage.open(name, "rb"), content_type=media.OUTPUT_CONTENT_TYPE
    )
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Security-Policy"] = "default-src 'none'"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Import ------------------------------------------------------------------------------
def request_too_large(request: HttpRequest) -> bool:
    """Whether the declared body is over the import limit (checked before it is parsed)."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return True
    return length > importing.max_upload_bytes() + 64 * 1024  # room for the form's other parts


@require_http_methods(["GET", "POST"])
@login_required
def import_upload(request: AuthedRequest) -> HttpResponse:
    """Step 1: upload a vCard or CSV file."""
    status = 200
    upload_error = ""
    if request.method == "POST" and request_too_large(request):
        form = ImportUploadForm()
        upload_error = str(importing.too_large_error().message)
        status = 413
    else:
        form = ImportUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                contact_import = importing.import_upload(
                    owner=request.user, file=form.cleaned_data["file"]
                )
            except ApplicationError as error:
                form.add_error("file", error.message)
                status = 400
            else:
                return redirect("contacts:import-detail", pk=contact_import.pk)
    return render(
        request,
        "contacts/import_upload.html",
        {
            "form": form,
            "upload_error": upload_error,
            "imports": selectors.import_list(user=request.user)[:10],
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def import_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """Step 2 (preview and options), then progress, then the report."""
    contact_import = get_object_or_404(selectors.import_list(user=request.user), pk=pk)
    context: dict = {"import": contact_import}
    if contact_import.status == contact_import.Status.UPLOADED:
        preview = selectors.import_preview(user=request.user, contact_import=contact_import)
        csv_file = contact_import.format != sniff.VCARD

        def options(*args: object, **kwargs: object) -> ImportOptionsForm:
            return ImportOptionsForm(
                *args,
                books=selectors.book_list(user=request.user),
                columns=preview["columns"],
                custom=contact_import.format == csvfile.CUSTOM,
                country_required=not contact_import.country,
                **kwargs,
            )

        initial = {"book": contact_import.book_id, "country": contact_import.country}
        form = options(request.POST or None, initial=initial)
        if request.method == "POST" and request.GET.get("preview") and form.is_valid():
            preview = selectors.import_preview(
                user=request.user,
                contact_import=contact_import,
                mapping=form.mapping(),
                country=form.cleaned_data["country"] or None,
            )
            form = options(initial=form.cleaned_data)
        elif request.method == "POST" and form.is_valid():
            try:
                importing.import_start(
                    contact_import=contact_import,
                    by=request.user,
                    book=form.cleaned_data["book"],
                    duplicates=form.cleaned_data["duplicates"],
                    mapping=form.mapping(),
                    country=form.cleaned_data["country"] or None,
                )
            except ApplicationError as error:
                form.add_error(None, error.message)
            else:
                return redirect("contacts:import-detail", pk=contact_import.pk)
        language = next(
            (
                lang.name
                for lang in csvfile.outlook_languages()
                if lang.code == contact_import.language
            ),
            "",
        )
        context.update(
            {
                "preview": preview,
                "form": form,
                "csv_file": csv_file,
                "language": language,
                "format_label": _("vCard")
                if not csv_file
                else csvfile.FORMAT_LABELS.get(contact_import.format, contact_import.format),
            }
        )
    elif request.method == "POST":
        return redirect("contacts:import-detail", pk=contact_import.pk)
    return render(request, "contacts/import_detail.html", context)
