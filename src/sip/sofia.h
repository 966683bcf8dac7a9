// SPDX-License-Identifier: Apache-2.0
#pragma once

// The one door to sofia-sip: include this first in every sip/*.cc that needs sofia (and
// nowhere else). sofia's callbacks carry "magic" pointers whose types are fixed by these
// macros before its headers are read.

namespace bankcc::sip {
class SipStackImpl;
struct SipCall;
}  // namespace bankcc::sip

#define SU_ROOT_MAGIC_T bankcc::sip::SipStackImpl
#define NUA_MAGIC_T bankcc::sip::SipStackImpl
#define NUA_HMAGIC_T bankcc::sip::SipCall
#define SU_WAKEUP_ARG_T void
#define SU_TIMER_ARG_T void
#define SU_MSG_ARG_T void

#include <sofia-sip/msg_addr.h>
#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sdp.h>
#include <sofia-sip/sip_extra.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/su.h>
#include <sofia-sip/su_alloc.h>
#include <sofia-sip/su_log.h>
#include <sofia-sip/su_tag.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/tport_tag.h>
#include <sofia-sip/url.h>
