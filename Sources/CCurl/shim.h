#ifndef CCURL_SHIM_H
#define CCURL_SHIM_H
// libcurl (Debian libcurl4-openssl-dev). curl_easy_setopt, curl_easy_getinfo and the multi/share
// setopt calls are variadic, which Swift cannot call: fixed-arity calls over them, one per
// argument type.
#include <curl/curl.h>

typedef size_t (*ck_data_callback)(char *data, size_t size, size_t count, void *user);
typedef int (*ck_xferinfo_callback)(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow);

// Bit-mask macros Swift does not import.
static const long ck_auth_basic = (long)CURLAUTH_BASIC;
static const long ck_auth_bearer = (long)CURLAUTH_BEARER;

static inline CURLcode ck_easy_setopt_long(CURL *h, CURLoption option, long value) {
    return curl_easy_setopt(h, option, value);
}
static inline CURLcode ck_easy_setopt_pointer(CURL *h, CURLoption option, const void *value) {
    return curl_easy_setopt(h, option, value);
}
static inline CURLcode ck_easy_setopt_offset(CURL *h, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(h, option, value);
}
static inline CURLcode ck_easy_setopt_data_callback(CURL *h, CURLoption option, ck_data_callback value) {
    return curl_easy_setopt(h, option, value);
}
static inline CURLcode ck_easy_setopt_xferinfo(CURL *h, ck_xferinfo_callback value) {
    return curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, value);
}
static inline CURLcode ck_easy_getinfo_long(CURL *h, CURLINFO info, long *value) {
    return curl_easy_getinfo(h, info, value);
}
static inline CURLcode ck_easy_getinfo_offset(CURL *h, CURLINFO info, curl_off_t *value) {
    return curl_easy_getinfo(h, info, value);
}
static inline CURLcode ck_easy_getinfo_pointer(CURL *h, CURLINFO info, void **value) {
    return curl_easy_getinfo(h, info, value);
}
static inline CURLMcode ck_multi_setopt_long(CURLM *m, CURLMoption option, long value) {
    return curl_multi_setopt(m, option, value);
}
static inline CURLSHcode ck_share_setopt_long(CURLSH *s, CURLSHoption option, long value) {
    return curl_share_setopt(s, option, value);
}
#endif
