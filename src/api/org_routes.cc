// SPDX-License-Identifier: Apache-2.0
#include "api/org_routes.h"

#include "api/org_crud.h"

namespace bankcc::api {

void registerOrgRoutes(Router& router) {
  org::registerTeamRoutes(router);
  org::registerSkillRoutes(router);
  org::registerQueueRoutes(router);
  org::registerCodeRoutes(router);
  org::registerAgentRoutes(router);
  org::registerUserRoutes(router);
  org::registerCalendarRoutes(router);
}

}  // namespace bankcc::api
